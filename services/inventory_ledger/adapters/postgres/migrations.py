"""Numbered SQL migrations (``migrations/NNNN_name.sql``), applied once each, by the owner role.

Each file runs in its own transaction, all under a session advisory lock (two migrators never
race), and
is recorded with its checksum; a recorded file that changed afterwards is an error.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from inventory_ledger.adapters.postgres import queries

__all__ = ["Migration", "MigrationError", "available", "migrate"]

_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """A migration file is malformed, or an applied one changed afterwards."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available(folder: Path = _DIR) -> list[Migration]:
    """All migration files, in version order."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(f"migration file name must be NNNN_name.sql: {path.name}")
        found.append(Migration(int(match[1]), match[2], path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {folder}")
    return found


async def migrate(dsn: str, *, app_role: str, folder: Path = _DIR) -> list[Migration]:
    """Apply the pending migrations; return those applied now (empty when up to date)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", app_role):
        raise MigrationError(f"not a plain role name: {app_role!r}")
    conn = await asyncpg.connect(dsn, timeout=30)
    applied_now: list[Migration] = []
    try:
        await conn.execute(queries.MIGRATION_LOCK)
        await conn.execute(queries.CREATE_MIGRATIONS_TABLE)
        for migration in available(folder):
            async with conn.transaction():
                done = await conn.fetchrow(queries.MIGRATION_GET, migration.version)
                if done is not None:
                    if done["checksum"] != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version:04d}_{migration.name} was changed "
                            "after it was applied; add a new migration instead"
                        )
                    continue
                await conn.execute("SELECT set_config('inventory.app_role', $1, true)", app_role)
                await conn.execute(migration.sql)
                await conn.execute(
                    queries.MIGRATION_RECORD, migration.version, migration.name, migration.checksum
                )
                applied_now.append(migration)
    finally:
        try:
            await conn.execute(queries.MIGRATION_UNLOCK)
        finally:
            await conn.close()
    return applied_now
