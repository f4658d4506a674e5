"""The relay lock: a Postgres session advisory lock that makes one relay per database active.

The lock lives exactly as long as its session, so the holder's crash or network loss frees it
for a standby without any lease or timeout. The same connection runs the relay's queries: if it
is gone, so is the lock, and the relay cannot mark anything without holding it.
"""

from __future__ import annotations

import asyncpg
import structlog

from inventory_ledger.adapters.postgres import queries

__all__ = ["RelayLock"]

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)


class RelayLock:
    """Connects on demand, tries the lock without waiting, and reports whether it holds it."""

    def __init__(self, dsn: str, name: str, statement_timeout_ms: int) -> None:
        self._dsn = dsn
        self._name = name
        self._statement_timeout_ms = statement_timeout_ms
        self._conn: asyncpg.Connection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        """Held right now: a closed session means the lock is gone, even if nobody noticed."""
        return self._held and self._conn is not None and not self._conn.is_closed()

    @property
    def conn(self) -> asyncpg.Connection:
        """The lock's session; use it only while :attr:`held`."""
        if self._conn is None:
            raise RuntimeError("the relay lock has no session")
        return self._conn

    async def try_acquire(self) -> bool:
        """Reconnect if the session died, then take the lock if free; True if held."""
        if self._conn is None or self._conn.is_closed():
            if self._held:
                _log.warning("outbox relay lost its lock with its session", relay=self._name)
            self._held = False
            self._conn = await asyncpg.connect(
                self._dsn,
                timeout=10,
                server_settings={
                    "application_name": self._name,
                    "statement_timeout": str(self._statement_timeout_ms),
                },
            )
        if not self._held:
            self._held = bool(await self._conn.fetchval(queries.OUTBOX_RELAY_TRY_LOCK))
            if self._held:
                _log.info("outbox relay is the active one", relay=self._name)
        return self._held

    def drop(self) -> None:
        """Abandon a broken session (the server frees the lock when it notices)."""
        if self._conn is not None:
            self._conn.terminate()
        self._conn, self._held = None, False

    async def release(self) -> None:
        """Unlock and close; a failure just drops the session, which frees the lock too."""
        conn, held = self._conn, self._held
        self._conn, self._held = None, False
        if conn is None or conn.is_closed():
            return
        try:
            if held:
                await conn.execute(queries.OUTBOX_RELAY_UNLOCK)
                _log.info("outbox relay released the lock", relay=self._name)
            await conn.close(timeout=5)
        except Exception as exc:
            _log.warning("relay session did not close cleanly", error=repr(exc))
            conn.terminate()
