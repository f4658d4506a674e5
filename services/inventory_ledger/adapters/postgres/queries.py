"""All SQL of the service, as named constants with ``$n`` parameters. Nothing else builds SQL."""

from __future__ import annotations

__all__ = [
    "CREATE_MIGRATIONS_TABLE",
    "MIGRATION_GET",
    "MIGRATION_LOCK",
    "MIGRATION_RECORD",
    "MIGRATION_UNLOCK",
]

# --- migrations -------------------------------------------------------------------------------
CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
MIGRATION_LOCK = "SELECT pg_advisory_lock(7302519001)"
MIGRATION_UNLOCK = "SELECT pg_advisory_unlock(7302519001)"
MIGRATION_GET = "SELECT name, checksum FROM schema_migrations WHERE version = $1"
MIGRATION_RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"
