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
        self._db = sqlite3.connect(name, isolation_level=None)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            f"cache_size=-{_PAGE_CACHE_KIB}",
            "temp_store=MEMORY",
        ):
            self._db.execute(f"PRAGMA {pragma}")
        # Rows are appended (the table's own order); only a small index of 64-bit hashes of
        # (group, key) is inserted at random places. Keyed by (group, key) with the rows in
        # the tree, an insert cost 10-12 us once the tree outgrew the page cache (1M rows of
        # 200 bytes), against 5-6 us this way; a lookup filters the (rare) equal hashes.
        self._db.execute(
            "CREATE TABLE cold (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL,"
            " grp TEXT NOT NULL, key TEXT NOT NULL, row BLOB NOT NULL)"
        )
        self._db.execute("CREATE INDEX cold_hash ON cold (hash)")
        Path(name).unlink()  # open, so still there for this connection (one, no journal)

    def save(self, rows: Sequence[tuple[str, str, bytes]]) -> None:
        """Store ``rows`` (group, key, row) of keys that have no row."""
        self._db.execute("BEGIN")  # one transaction: pages written once, not once per row
        self._db.executemany(
            "INSERT INTO cold (hash, grp, key, row) VALUES (?, ?, ?, ?)",
            sorted((hash((group, key)), group, key, row) for group, key, row in rows),
        )
        self._db.execute("COMMIT")

    def take(self, group: str, key: str) -> bytes | None:
        """Remove and return the row of ``key``."""
        db = self._db
        for row_id, grp, found, row in db.execute(
            "SELECT id, grp, key, row FROM cold WHERE hash = ?", (hash((group, key)),)
        ).fetchall():
            if grp == group and found == key:
                db.execute("DELETE FROM cold WHERE id = ?", (row_id,))
                return bytes(row)
        return None

    def keys(self, group: str) -> list[str]:
        """The keys of the group's rows."""
        return [key for (key,) in self._db.execute("SELECT key FROM cold WHERE grp = ?", (group,))]

    def drop(self, group: str) -> None:
        """Remove the group's rows."""
        self._db.execute("DELETE FROM cold WHERE grp = ?", (group,))

    def close(self) -> None:
        """Close it (its space is freed: the file was unlinked at start)."""
        self._db.close()
