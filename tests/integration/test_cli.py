"""The read-side commands against a real ledger: JSON for scripts, tables for people, exit codes."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest
from typer.testing import CliRunner

from inventory_ledger.cli import app
from tests.conftest import LedgerDatabase
from tests.integration.adapters.http.story import C_RECEIPTS, write_story

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
async def story(ledger_db: LedgerDatabase) -> LedgerDatabase:
    await write_story(ledger_db.app_dsn)
    return ledger_db


@pytest.fixture
def cli(story: LedgerDatabase, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("INVENTORY_DATABASE_URL", story.app_dsn)
    monkeypatch.setenv("INVENTORY_API_DEFAULT_PAGE_SIZE", "5")
    monkeypatch.setenv("INVENTORY_API_MAX_PAGE_SIZE", "10")
    return CliRunner()


def _tamper(dsn: str, sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def test_balances_json_has_the_api_shape_and_values(cli: CliRunner) -> None:
    result = cli.invoke(app, ["balances", "--json", "--location", "main"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["lic"], r["on_hand"], r["on_order"], r["demand"], r["version"]) for r in rows] == [
        ("A-1", "4", "6", "-3", 3),
        ("C-1", str(C_RECEIPTS), "0", "0", C_RECEIPTS),
    ]
    assert rows[0]["available"] == "1"
    assert rows[0]["projected"] == "7"


def test_balances_as_of_and_as_a_table(cli: CliRunner) -> None:
    result = cli.invoke(app, ["balances", "--json", "--lic", "A-1", "--as-of", "2026-11-20T10:45Z"])
    assert result.exit_code == 2, "minutes without seconds are not RFC 3339"
    result = cli.invoke(
        app, ["balances", "--json", "--lic", "A-1", "--as-of", "2026-11-20T10:45:00Z"]
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["on_hand"], row["on_order"], row["demand"], row["version"]) == (
        "0",
        "10",
        "-3",
        None,
    )
    table = cli.invoke(app, ["balances", "--lic", "A-1"])
    assert table.exit_code == 0, table.output
    assert "A-1" in table.output
    assert "on_hand" in table.output


def test_transactions_page_through_with_the_cursor(cli: CliRunner) -> None:
    items: list[dict[str, object]] = []
    cursor: list[str] = []
    while True:
        result = cli.invoke(
            app, ["transactions", "--json", "--lic", "C-1", "--limit", "10", *cursor]
        )
        assert result.exit_code == 0, result.output
        page = json.loads(result.output)
        items += page["items"]
        if page["next_cursor"] is None:
            break
        cursor = ["--cursor", page["next_cursor"]]
    assert len(items) == C_RECEIPTS
    assert len({i["id"] for i in items}) == C_RECEIPTS

    too_many = cli.invoke(app, ["transactions", "--limit", "11"])
    assert too_many.exit_code == 2, "over INVENTORY_API_MAX_PAGE_SIZE"
    assert "1..10" in too_many.output
    table = cli.invoke(app, ["transactions", "--lic", "C-1"])
    assert table.exit_code == 0, table.output
    assert "more: --cursor " in table.output


def test_reconcile_exits_0_when_clean_and_1_on_a_mismatch(
    cli: CliRunner, story: LedgerDatabase
) -> None:
    clean = cli.invoke(app, ["reconcile"])
    assert clean.exit_code == 0, clean.output
    assert "reconciliation: ok (3 items checked)" in clean.output
    assert "cost invariants 1, 3, 4: not checked" in clean.output, "a quantity-only story"

    _tamper(story.owner_dsn, "UPDATE balances SET on_hand = on_hand + 1 WHERE lic = 'C-1'")
    try:
        broken = cli.invoke(app, ["reconcile", "--json"])
        table = cli.invoke(app, ["reconcile"])
    finally:
        _tamper(story.owner_dsn, "UPDATE balances SET on_hand = on_hand - 1 WHERE lic = 'C-1'")
    assert broken.exit_code == 1, broken.output
    report = json.loads(broken.output)
    assert report["ok"] is False
    assert [(m["lic"], m["on_hand_txns"], m["on_hand_balance"]) for m in report["mismatches"]] == [
        ("C-1", str(C_RECEIPTS), str(C_RECEIPTS + 1))
    ]
    assert table.exit_code == 1
    assert "1 mismatches" in table.output


def test_reconcile_exits_3_when_the_database_cannot_be_read(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_DATABASE_URL", "postgresql://nobody:x@127.0.0.1:1/none")
    result = cli.invoke(app, ["reconcile"])
    assert result.exit_code == 3
    assert "cannot read the ledger" in result.output


def test_dead_letters_list_is_empty_on_a_clean_ledger(cli: CliRunner) -> None:
    result = cli.invoke(app, ["dead-letters", "list", "--json", "--reason", "schema"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
    assert cli.invoke(app, ["dead-letters", "list"]).exit_code == 0
