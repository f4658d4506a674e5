"""Business times in query strings and on the command line: RFC 3339 with an offset, nothing else.

pydantic's lax ``datetime`` would also read ``1700000000`` as Unix seconds and a bare date as
midnight; a query string is always text, so the shape is checked before pydantic parses it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BeforeValidator, TypeAdapter, WithJsonSchema

__all__ = ["Rfc3339", "parse_rfc3339"]

_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})"
)


def _rfc3339_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        return value
    raise ValueError(
        "must be an RFC 3339 date-time with a timezone, e.g. 2026-11-20T10:00:00Z "
        "(in a URL write + as %2B)"
    )


Rfc3339 = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_text),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A business time: ``YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)``."""

_ADAPTER: Final[TypeAdapter[datetime]] = TypeAdapter(Rfc3339)


def parse_rfc3339(text: str) -> datetime:
    """``text`` as an aware datetime; ``pydantic.ValidationError`` when it is not RFC 3339."""
    return _ADAPTER.validate_python(text)
