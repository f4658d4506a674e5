"""The cost graph's cold entries in a local file (``domain/spill``'s :class:`ColdStore`).

A scratch file of one process: what it holds is derived from the cost log, so it starts
empty when the books are built and goes when they are dropped or the process ends (it is
unlinked as soon as it is open: a killed process leaves nothing behind in the directory). It is
the standard library's embedded key-value file (``sqlite3``), with no journal and no fsync:
a crash loses nothing the log cannot rebuild. Not the ledger: the books live in Postgres.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["FileColdStore"]

_PAGE_CACHE_KIB = 8_192


class FileColdStore:
    """Rows of bytes per (group, key) in a scratch file under ``directory``."""

    def __init__(self, directory: Path | None = None) -> None:
        fd, name = tempfile.mkstemp(prefix="cost-spill-", suffix=".db", dir=directory)
        os.close(fd)
        self.path = Path(name)
        self._db = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            f"cache_size=-{_PAGE_CACHE_KIB}",
            "temp_store=MEMORY",
        ):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            "CREATE TABLE cold (grp TEXT NOT NULL, key TEXT NOT NULL, row BLOB NOT NULL,"
            " PRIMARY KEY (grp, key)) WITHOUT ROWID"
        )
        self.path.unlink()  # open, so still there for this connection (one, no journal)

    def save(self, group: str, rows: Sequence[tuple[str, bytes]]) -> None:
        """Store ``rows`` (a key saved again replaces its row)."""
        self._db.execute("BEGIN")  # one transaction: pages written once, not once per row
        self._db.executemany(
            "INSERT OR REPLACE INTO cold VALUES (?, ?, ?)",
            sorted((group, key, row) for key, row in rows),
        )
        self._db.execute("COMMIT")

    def take(self, group: str, key: str) -> bytes | None:
        """Remove and return the row of ``key``."""
        found = self._db.execute(
            "DELETE FROM cold WHERE grp = ? AND key = ? RETURNING row", (group, key)
        ).fetchall()
        return bytes(found[0][0]) if found else None

    def keys(self, group: str) -> list[str]:
        """The keys of the group's rows."""
        return [key for (key,) in self._db.execute("SELECT key FROM cold WHERE grp = ?", (group,))]

    def drop(self, group: str) -> None:
        """Remove the group's rows."""
        self._db.execute("DELETE FROM cold WHERE grp = ?", (group,))

    def close(self) -> None:
        """Close it (its space is freed: the file was unlinked at start)."""
        self._db.close()
