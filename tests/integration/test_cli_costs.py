"""``lots``, ``usage`` and the cost side of ``reconcile`` against a real ledger with cost books."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest
from typer.testing import CliRunner

from inventory_ledger.cli import app
from tests.conftest import LedgerDatabase
from tests.integration.adapters.http.cost_story import (
    A_LOT,
    A_SALE,
    B_SALE,
    D_RECEIPTS,
    write_cost_story,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
async def story(ledger_db: LedgerDatabase) -> LedgerDatabase:
    await write_cost_story(ledger_db.app_dsn)
    return ledger_db


@pytest.fixture
def cli(story: LedgerDatabase, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("INVENTORY_DATABASE_URL", story.app_dsn)
    monkeypatch.setenv("INVENTORY_API_DEFAULT_PAGE_SIZE", "5")
    monkeypatch.setenv("INVENTORY_API_MAX_PAGE_SIZE", "10")
    return CliRunner()


def _sql(dsn: str, sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def test_lots_json_is_the_api_page_and_filters(cli: CliRunner) -> None:
    result = cli.invoke(app, ["lots", "--json", "--lic", "A", "--status", "open"])
    assert result.exit_code == 0, result.output
    page = json.loads(result.output)
    assert page["next_cursor"] is None
    assert [
        (i["lot_id"], i["remaining_qty"], i["unit_cost"], i["cost_status"]) for i in page["items"]
    ] == [(A_LOT, "7", "6.5", "final"), ("shipment:R-a6/1:main/A", "3", "7.25", "final")]
    closed = json.loads(cli.invoke(app, ["lots", "--json", "--status", "closed"]).output)
    assert [i["lic"] for i in closed["items"]] == ["B"]
    bad = cli.invoke(app, ["lots", "--status", "half"])
    assert bad.exit_code == 2
    assert "open or closed" in bad.output


def test_lots_page_through_with_the_cursor_and_show_a_table(cli: CliRunner) -> None:
    ids: list[str] = []
    cursor: list[str] = []
    while True:
        result = cli.invoke(app, ["lots", "--json", "--lic", "D", "--limit", "3", *cursor])
        assert result.exit_code == 0, result.output
        page = json.loads(result.output)
        ids += [i["lot_id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = ["--cursor", page["next_cursor"]]
    assert ids == [f"shipment:R-d{n}/1:main/D" for n in range(D_RECEIPTS)]
    table = cli.invoke(app, ["lots", "--lic", "D"])
    assert table.exit_code == 0, table.output
    assert table.output.count("final") == 5, "a page of the default size, one row per lot"
    assert ":R-d4/1:" in table.output
    assert "more: --cursor " in table.output
    foreign = cli.invoke(app, ["usage", "--cursor", cursor[1]])
    assert foreign.exit_code == 2, "a lot cursor is not a usage cursor"


def test_usage_unallocated_and_table(cli: CliRunner) -> None:
    result = cli.invoke(app, ["usage", "--json", "--unallocated"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["items"]
    assert (row["usage_id"], row["qty"], row["allocated_qty"], row["unallocated_qty"]) == (
        B_SALE,
        "5",
        "2",
        "3",
    )
    assert row["cogs"] == "6"
    table = cli.invoke(app, ["usage", "--lic", "A"])
    assert table.exit_code == 0, table.output
    assert A_SALE in table.output
    assert "19.5" in table.output


def test_reconcile_checks_the_cost_invariants(cli: CliRunner, story: LedgerDatabase) -> None:
    clean = cli.invoke(app, ["reconcile"])
    assert clean.exit_code == 0, clean.output
    assert "reconciliation: ok (4 items checked)" in clean.output
    assert "cost invariants 1, 3, 4: ok (11 lots, 2 usages checked)" in clean.output

    _sql(story.owner_dsn, f"UPDATE usages SET cogs = cogs + 1 WHERE usage_id = '{A_SALE}'")
    try:
        broken = cli.invoke(app, ["reconcile", "--json"])
        table = cli.invoke(app, ["reconcile"])
    finally:
        _sql(story.owner_dsn, f"UPDATE usages SET cogs = cogs - 1 WHERE usage_id = '{A_SALE}'")
    assert broken.exit_code == 1, broken.output
    (mismatch,) = json.loads(broken.output)["mismatches"]
    assert (mismatch["lic"], mismatch["lots"], mismatch["usage"]) == ("A", "13", "3")
    assert [(b["invariant"], b["expected"], b["actual"]) for b in mismatch["cost_breaches"]] == [
        (4, "19.5", "20.5"),
        (4, "19.5", "20.5"),
    ]
    assert table.exit_code == 1
    assert "cost breaches" in table.output
    assert "cost invariants 1, 3, 4: 1 items break them" in table.output
