"""The optional bearer token of the ``/v1`` routes.

When ``api_token`` is set, a request without ``Authorization: Bearer <token>``, or with another
token, gets 401; the comparison takes the same time however much of the token matches. Health
and metrics never require it (probes and scrapers carry no secrets).
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime, and
# they name values local to the route factory (limits, the security scheme).

import secrets
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

__all__ = ["bearer_token_dependencies"]


def bearer_token_dependencies(token: SecretStr | None) -> list[Any]:
    """Route dependencies that enforce ``token``; none when no token is configured.

    An empty configured token matches nothing (``Bearer`` with no credentials is refused), so
    a blank secret locks the API instead of opening it.
    """
    if token is None:
        return []
    expected = token.get_secret_value().encode()
    scheme = HTTPBearer(
        auto_error=False,
        description="The API token (INVENTORY_API_TOKEN) as `Authorization: Bearer <token>`.",
    )

    async def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)],
    ) -> None:
        given = b"" if credentials is None else credentials.credentials.encode()
        if not (given and expected and secrets.compare_digest(given, expected)):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="a valid bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return [Depends(require_token)]
