"""Database roles: migrations run as the owner; the application role has least privilege.

Already covered in ``tests/integration/adapters/postgres/test_migrations.py`` and not repeated
here: the app role may INSERT a transaction but UPDATE, DELETE and CREATE TABLE are refused;
even the owner cannot UPDATE or TRUNCATE a transaction (trigger). This module adds: the
``migrate`` command uses the owner's DSN and the owner owns every object; the app role cannot
migrate, TRUNCATE, or run DDL (ALTER, DROP, CREATE INDEX/SCHEMA/VIEW, replace or disable the
immutability trigger); and the exact set of its UPDATE/DELETE privileges on the quantity
ledger's tables, read from the catalog.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from typer.testing import CliRunner

from inventory_ledger.adapters.postgres.migrations import migrate
from inventory_ledger.cli import app
from tests.conftest import LedgerDatabase

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _as_role(dsn: str, role: str) -> str:
    parts = urlsplit(dsn)
    netloc = f"{role}:{role}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(scope="module")
def migrated(database_url: str, app_role: str) -> tuple[LedgerDatabase, str]:
    """This module's fresh database, migrated by the ``migrate`` command as deployments do.

    The app role's DSN is set too, as in the service's environment: ``migrate`` must not use it.
    """
    app_dsn = _as_role(database_url, app_role)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("INVENTORY_MIGRATION_DATABASE_URL", database_url)
        env.setenv("INVENTORY_DATABASE_URL", app_dsn)
        env.setenv("INVENTORY_APP_ROLE", app_role)
        result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    return LedgerDatabase(database_url, app_dsn), result.output


async def test_migrate_runs_as_the_owner_who_then_owns_every_object(
    migrated: tuple[LedgerDatabase, str], app_role: str
) -> None:
    db, output = migrated
    assert "applied 0001_quantity_ledger" in output
    conn = await asyncpg.connect(db.owner_dsn)
    try:
        owner = await conn.fetchval("SELECT current_user")
        relations = await conn.fetch(
            """SELECT c.relname, pg_get_userbyid(c.relowner) AS owner
               FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"""
        )
        functions = await conn.fetch(
            """SELECT p.proname, pg_get_userbyid(p.proowner) AS owner
               FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace"""
        )
        owned_by_app = await conn.fetchval(
            """SELECT count(*) FROM pg_class c
               WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)""",
            app_role,
        )
    finally:
        await conn.close()
    assert owner != app_role
    names = {r["relname"] for r in relations}
    assert {"transactions", "balances", "outbox", "dead_letters", "schema_migrations"} <= names
    assert {r["owner"] for r in relations} == {owner}
    assert "transactions_are_immutable" in {f["proname"] for f in functions}
    assert {f["owner"] for f in functions} == {owner}
    assert owned_by_app == 0


async def test_the_app_role_cannot_migrate(
    migrated: tuple[LedgerDatabase, str], app_role: str
) -> None:
    db, _ = migrated
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await migrate(db.app_dsn, app_role=app_role)
    conn = await asyncpg.connect(db.app_dsn)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM schema_migrations")
    finally:
        await conn.close()


_QUANTITY_TABLES = (
    "transactions",
    "processed_events",
    "balances",
    "document_states",
    "outbox",
    "dead_letters",
    "schema_migrations",
)


async def test_app_role_may_update_only_the_intended_columns_and_delete_nothing(
    migrated: tuple[LedgerDatabase, str], app_role: str
) -> None:
    """Read from the catalog, so a grant added later to these tables shows up here.

    TRUNCATE, TRIGGER and REFERENCES are checked on every table of the schema; the UPDATE and
    DELETE policy on the quantity ledger's tables (the cost tables have their own).
    """
    db, _ = migrated
    conn = await asyncpg.connect(db.owner_dsn)
    try:
        columns = await conn.fetch(
            """SELECT c.relname, a.attname::text AS column,
                      has_column_privilege($1, c.oid, a.attnum, 'UPDATE') AS updatable
               FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
               WHERE c.relnamespace = current_schema()::regnamespace
                 AND c.relname = ANY($2::text[]) AND a.attnum > 0 AND NOT a.attisdropped""",
            app_role,
            list(_QUANTITY_TABLES),
        )
        deletable = await conn.fetch(
            """SELECT relname FROM pg_class
               WHERE relnamespace = current_schema()::regnamespace
                 AND relname = ANY($2::text[]) AND has_table_privilege($1, oid, 'DELETE')""",
            app_role,
            list(_QUANTITY_TABLES),
        )
        destructive = await conn.fetch(
            """SELECT c.relname, p.privilege
               FROM pg_class c,
                    unnest(ARRAY['TRUNCATE', 'TRIGGER', 'REFERENCES']) AS p(privilege)
               WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
                 AND has_table_privilege($1, c.oid, p.privilege)""",
            app_role,
        )
    finally:
        await conn.close()
    table_columns: dict[str, set[str]] = {}
    updatable: dict[str, set[str]] = {}
    for row in columns:
        table_columns.setdefault(row["relname"], set()).add(row["column"])
        if row["updatable"]:
            updatable.setdefault(row["relname"], set()).add(row["column"])
    assert set(table_columns) == set(_QUANTITY_TABLES)
    assert updatable == {
        "balances": table_columns["balances"],
        "document_states": table_columns["document_states"],
        "outbox": {"published_at"},
        "dead_letters": {"published_at", "replayed_at"},
    }
    assert [r["relname"] for r in deletable] == []
    assert [tuple(r) for r in destructive] == []


@pytest.mark.parametrize(
    "table",
    ["transactions", "processed_events", "balances", "outbox", "dead_letters", "document_states"],
)
async def test_app_role_cannot_truncate(migrated: tuple[LedgerDatabase, str], table: str) -> None:
    conn = await asyncpg.connect(migrated[0].app_dsn)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            await conn.execute(f"TRUNCATE {table}")
    finally:
        await conn.close()


@pytest.mark.parametrize(
    "ddl",
    [
        "ALTER TABLE transactions ADD COLUMN note text",
        "ALTER TABLE transactions DISABLE TRIGGER transactions_immutable",
        "DROP TRIGGER transactions_immutable ON transactions",
        "CREATE OR REPLACE FUNCTION transactions_are_immutable() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "ALTER TABLE balances RENAME TO balances_old",
        "DROP TABLE transactions",
        "DROP TABLE dead_letters",
        "CREATE INDEX sneaky ON transactions (event_id)",
        "CREATE SCHEMA sneaky",
        "CREATE VIEW sneaky AS SELECT 1 AS one",
    ],
)
async def test_app_role_cannot_run_ddl(migrated: tuple[LedgerDatabase, str], ddl: str) -> None:
    conn = await asyncpg.connect(migrated[0].app_dsn)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(ddl)
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'transactions'::regclass"
                " AND tgname LIKE 'transactions_%' AND tgenabled = 'O'"
            )
            == 2
        )
    finally:
        await conn.close()
