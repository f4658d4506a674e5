"""/v1/lots, /v1/usage and the cost side of /v1/reconciliation over the cost story."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from inventory_ledger.adapters.http.cost_common import encode_key_cursor
from tests.conftest import LedgerDatabase
from tests.integration.adapters.http.conftest import MAX_PAGE
from tests.integration.adapters.http.cost_story import (
    A_LOT,
    A_SALE,
    B_SALE,
    D_RECEIPTS,
    write_cost_story,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

LOTS = 2 + 1 + 1 + D_RECEIPTS
"""A: the PO lot and the later receipt; B; M; D: one lot per receipt."""


@pytest.fixture(scope="module")
async def pool(ledger_db: LedgerDatabase) -> AsyncIterator[asyncpg.Pool]:
    """This module's client reads the cost story instead of the quantity story."""
    await write_cost_story(ledger_db.app_dsn)
    pool = await asyncpg.create_pool(ledger_db.app_dsn, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


async def _tampered(
    client: httpx.AsyncClient, owner_dsn: str, break_sql: str, restore_sql: str
) -> dict[str, Any]:
    """The reconciliation while ``break_sql`` is in effect (restored before returning)."""
    owner = await asyncpg.connect(owner_dsn)
    try:
        await owner.execute(break_sql)
        try:
            response = await client.get("/v1/reconciliation")
        finally:
            await owner.execute(restore_sql)
    finally:
        await owner.close()
    assert response.status_code == 200
    report: dict[str, Any] = response.json()
    return report


async def test_a_lot_has_exactly_the_contract_fields_as_decimal_strings(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/lots", params={"lic": "A"})
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "lot_id": A_LOT,
                "kind": "purchase",
                "document": "purchase_order:PO-1",
                "document_line": "L1",
                "lic": "A",
                "location": "main",
                "qty": "10",
                "allocated_qty": "3",
                "remaining_qty": "7",
                "unit_cost": "6.5",
                "cost_status": "final",
                "mfr_lot": None,
            },
            {
                "lot_id": "shipment:R-a6/1:main/A",
                "kind": "purchase",
                "document": "shipment:R-a6",
                "document_line": "1",
                "lic": "A",
                "location": "main",
                "qty": "3",
                "allocated_qty": "0",
                "remaining_qty": "3",
                "unit_cost": "7.25",
                "cost_status": "final",
                "mfr_lot": None,
            },
        ],
        "next_cursor": None,
    }


async def test_lots_filter_by_status_location_and_mfr_lot_shows(
    client: httpx.AsyncClient,
) -> None:
    closed = (await client.get("/v1/lots", params={"status": "closed"})).json()
    assert [(i["lot_id"], i["remaining_qty"]) for i in closed["items"]] == [
        ("shipment:R-b1/1:main/B", "0")
    ]
    open_m = (await client.get("/v1/lots", params={"status": "open", "lic": "M"})).json()
    assert [(i["mfr_lot"], i["remaining_qty"]) for i in open_m["items"]] == [("LOT-9", "4")]
    elsewhere = (await client.get("/v1/lots", params={"location": "east"})).json()
    assert elsewhere == {"items": [], "next_cursor": None}


async def test_walking_the_lot_pages_sees_each_lot_once_in_item_order(
    client: httpx.AsyncClient,
) -> None:
    seen: list[tuple[str, str]] = []
    params: dict[str, str | int] = {"limit": 2}
    pages = 0
    while True:
        page = (await client.get("/v1/lots", params=params)).json()
        pages += 1
        assert len(page["items"]) <= 2
        seen += [(i["lic"], i["lot_id"]) for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["next_cursor"]}
    assert len(seen) == LOTS
    assert seen == sorted(set(seen))
    assert pages == (LOTS + 1) // 2
    default = (await client.get("/v1/lots")).json()
    assert len(default["items"]) == 5, "the settings' default page size"


async def test_usage_has_the_contract_fields_and_unallocated_filters(
    client: httpx.AsyncClient,
) -> None:
    every = (await client.get("/v1/usage")).json()
    assert [u["usage_id"] for u in every["items"]] == [A_SALE, B_SALE]
    assert every["items"][0] == {
        "usage_id": A_SALE,
        "kind": "shipment",
        "document": "shipment:S-e3",
        "document_line": "1",
        "lic": "A",
        "location": "main",
        "qty": "4",
        "allocated_qty": "3",
        "unallocated_qty": "0",
        "cogs": "19.5",
    }
    waiting = (await client.get("/v1/usage", params={"unallocated": "true"})).json()
    assert waiting == {
        "items": [
            {
                "usage_id": B_SALE,
                "kind": "shipment",
                "document": "shipment:S-b2",
                "document_line": "1",
                "lic": "B",
                "location": "main",
                "qty": "5",
                "allocated_qty": "2",
                "unallocated_qty": "3",
                "cogs": "6",
            }
        ],
        "next_cursor": None,
    }
    only_a = (await client.get("/v1/usage", params={"lic": "A", "unallocated": "true"})).json()
    assert only_a["items"] == []
    first = (await client.get("/v1/usage", params={"limit": 1})).json()
    rest = (await client.get("/v1/usage", params={"cursor": first["next_cursor"]})).json()
    assert [u["usage_id"] for u in first["items"] + rest["items"]] == [A_SALE, B_SALE]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/lots", {"status": "half"}),
        ("/v1/lots", {"limit": MAX_PAGE + 1}),
        ("/v1/lots", {"cursor": "bm90IGEgY3Vyc29y"}),
        ("/v1/lots", {"cursor": encode_key_cursor("usage", ("main", "A", A_SALE))}),
        ("/v1/usage", {"cursor": encode_key_cursor("lot", ("main", "A", A_LOT))}),
        ("/v1/usage", {"unallocated": "perhaps"}),
        ("/v1/usage", {"limit": 0}),
    ],
)
async def test_bad_cost_queries_are_422(
    client: httpx.AsyncClient, path: str, params: dict[str, str | int]
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(params))]


async def test_reconciliation_checks_the_cost_books_too(
    client: httpx.AsyncClient, ledger_db: LedgerDatabase
) -> None:
    clean = (await client.get("/v1/reconciliation")).json()
    assert clean == {"ok": True, "items_checked": 4, "mismatches": []}

    # invariant 1: a lot that claims one unit more than was ever received
    lot = await _tampered(
        client,
        ledger_db.owner_dsn,
        f"UPDATE lots SET qty = qty + 1 WHERE lot_id = '{A_LOT}'",
        f"UPDATE lots SET qty = qty - 1 WHERE lot_id = '{A_LOT}'",
    )
    assert lot == {
        "ok": False,
        "items_checked": 4,
        "mismatches": [
            {
                "lic": "A",
                "location": "main",
                "lots": "14",
                "usage": "3",
                "on_hand_txns": "10",
                "on_hand_balance": "10",
                "on_order_txns": "0",
                "on_order_balance": "0",
                "demand_txns": "0",
                "demand_balance": "0",
            }
        ],
    }

    # invariant 4: COGS that is neither its allocations nor its journal
    cogs = await _tampered(
        client,
        ledger_db.owner_dsn,
        f"UPDATE usages SET cogs = cogs + 0.25 WHERE usage_id = '{B_SALE}'",
        f"UPDATE usages SET cogs = cogs - 0.25 WHERE usage_id = '{B_SALE}'",
    )
    (mismatch,) = cogs["mismatches"]
    assert (mismatch["lic"], mismatch["lots"], mismatch["usage"]) == ("B", "2", "5")
    assert mismatch["cost_breaches"] == [
        {
            "invariant": 4,
            "subject": B_SALE,
            "rule": "cogs = Σ allocation qty x lot unit_cost",
            "expected": "6",
            "actual": "6.25",
        },
        {
            "invariant": 4,
            "subject": B_SALE,
            "rule": "cogs = Σ COGS journal",
            "expected": "6",
            "actual": "6.25",
        },
    ]

    # invariant 3: an allocation row gone (the lot and usage still claim it)
    gone = await _tampered(
        client,
        ledger_db.owner_dsn,
        f"UPDATE allocations SET qty = qty - 1 WHERE usage_id = '{A_SALE}'",
        f"UPDATE allocations SET qty = qty + 1 WHERE usage_id = '{A_SALE}'",
    )
    (mismatch,) = gone["mismatches"]
    assert [(b["invariant"], b["subject"], b["rule"]) for b in mismatch["cost_breaches"]] == [
        (3, A_LOT, "lot allocated_qty = Σ allocations"),
        (3, A_SALE, "usage allocated_qty = Σ allocations"),
        (4, A_SALE, "cogs = Σ allocation qty x lot unit_cost"),
    ]
    assert (await client.get("/v1/reconciliation")).json()["ok"] is True


async def test_a_balance_off_is_one_mismatch_with_the_cost_figures(
    client: httpx.AsyncClient, ledger_db: LedgerDatabase
) -> None:
    report = await _tampered(
        client,
        ledger_db.owner_dsn,
        "UPDATE balances SET on_hand = on_hand - 1 WHERE lic = 'D'",
        "UPDATE balances SET on_hand = on_hand + 1 WHERE lic = 'D'",
    )
    assert report["mismatches"] == [
        {
            "lic": "D",
            "location": "main",
            "lots": str(D_RECEIPTS),
            "usage": "0",
            "on_hand_txns": str(D_RECEIPTS),
            "on_hand_balance": str(D_RECEIPTS - 1),
            "on_order_txns": "0",
            "on_order_balance": "0",
            "demand_txns": "0",
            "demand_balance": "0",
        }
    ]
