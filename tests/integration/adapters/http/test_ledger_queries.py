"""/v1/balances, /v1/transactions and /v1/reconciliation read back the story exactly."""

from __future__ import annotations

import base64

import asyncpg
import httpx
import pytest

from inventory_ledger.adapters.http.transactions import decode_cursor, encode_cursor
from tests.conftest import LedgerDatabase
from tests.integration.adapters.http.conftest import MAX_PAGE
from tests.integration.adapters.http.story import C_RECEIPTS, LINES, at

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_balances_are_decimal_strings_with_derived_figures_and_version(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/balances")
    assert response.status_code == 200
    assert response.json() == [
        {
            "lic": "B-1",
            "location": "east",
            "on_hand": "2.5",
            "on_order": "0",
            "demand": "0",
            "available": "2.5",
            "projected": "2.5",
            "version": 1,
        },
        {
            "lic": "A-1",
            "location": "main",
            "on_hand": "4",
            "on_order": "6",
            "demand": "-3",
            "available": "1",
            "projected": "7",
            "version": 3,
        },
        {
            "lic": "C-1",
            "location": "main",
            "on_hand": str(C_RECEIPTS),
            "on_order": "0",
            "demand": "0",
            "available": str(C_RECEIPTS),
            "projected": str(C_RECEIPTS),
            "version": C_RECEIPTS,
        },
    ]


async def test_balances_filter_by_lic_and_location(client: httpx.AsyncClient) -> None:
    by_lic = (await client.get("/v1/balances", params={"lic": "A-1"})).json()
    by_location = (await client.get("/v1/balances", params={"location": "east"})).json()
    neither = (await client.get("/v1/balances", params={"lic": "A-1", "location": "east"})).json()
    assert [b["lic"] for b in by_lic] == ["A-1"]
    assert [b["lic"] for b in by_location] == ["B-1"]
    assert neither == []


async def test_balances_as_of_sum_the_ledger_up_to_that_business_time(
    client: httpx.AsyncClient,
) -> None:
    # after the PO (0') and the order (30'), before the receipt (60'); offset +01:00 = 10:45Z
    response = await client.get(
        "/v1/balances", params={"lic": "A-1", "as_of": "2026-11-20T11:45:00+01:00"}
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "lic": "A-1",
            "location": "main",
            "on_hand": "0",
            "on_order": "10",
            "demand": "-3",
            "available": "-3",
            "projected": "7",
            "version": None,
        }
    ]
    # inclusive: at exactly the receipt's time the receipt counts
    exact = await client.get("/v1/balances", params={"lic": "A-1", "as_of": at(60).isoformat()})
    assert exact.json()[0]["on_hand"] == "4"
    before_all = await client.get("/v1/balances", params={"as_of": "2026-11-20T09:59:59Z"})
    assert before_all.json() == []


@pytest.mark.parametrize(
    "as_of",
    ["yesterday", "2026-11-20", "2026-11-20T10:00:00", "1700000000", "2026-13-01T00:00:00Z"],
)
async def test_a_bad_as_of_is_a_422(client: httpx.AsyncClient, as_of: str) -> None:
    response = await client.get("/v1/balances", params={"as_of": as_of})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "as_of"]


async def test_transactions_show_every_field(client: httpx.AsyncClient) -> None:
    page = (await client.get("/v1/transactions", params={"lic": "A-1", "limit": 10})).json()
    assert page["next_cursor"] is None
    lines = [  # the document's id, not the domain's "kind:" prefix
        (t["bucket"], t["qty"], t["event_id"], t["document"].split(":")[-1], t["document_line"])
        for t in page["items"]
    ]
    assert sorted(lines) == sorted(
        [
            ("on_order", "10", "po-P1", "P1", "1"),
            ("demand", "-3", "ord-O1", "O1", "1"),
            ("on_hand", "4", "rcv-R1", "R1", "1"),
            ("on_order", "-4", "rcv-R1", "P1", "1"),
        ]
    )
    receipt = next(t for t in page["items"] if t["bucket"] == "on_hand")
    assert receipt["occurred_at"] == "2026-11-20T11:00:00Z"
    assert receipt["mfr_lot"] is None
    assert set(receipt) == {
        "id",
        "lic",
        "location",
        "bucket",
        "qty",
        "occurred_at",
        "event_id",
        "document",
        "document_line",
        "mfr_lot",
    }


@pytest.mark.parametrize("limit", [1, 3, 7, MAX_PAGE])
async def test_walking_every_page_sees_each_line_once_in_id_order(
    client: httpx.AsyncClient, limit: int
) -> None:
    ids: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get("/v1/transactions", params=params)
        assert response.status_code == 200
        page = response.json()
        pages += 1
        assert len(page["items"]) == limit or page["next_cursor"] is None
        ids += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(ids) == LINES
    assert ids == sorted(set(ids))
    assert pages == -(-LINES // limit)


async def test_transactions_filter_by_business_time_since_inclusive_until_exclusive(
    client: httpx.AsyncClient,
) -> None:
    params = {"lic": "C-1", "since": at(105).isoformat(), "until": at(110).isoformat()}
    page = (await client.get("/v1/transactions", params=params)).json()
    assert [t["occurred_at"] for t in page["items"]] == [
        f"2026-11-20T11:{m:02d}:00Z" for m in range(45, 50)
    ]
    assert page["next_cursor"] is None


async def test_the_default_page_is_settings_default(client: httpx.AsyncClient) -> None:
    page = (await client.get("/v1/transactions")).json()
    assert len(page["items"]) == 5
    assert page["next_cursor"] is not None


@pytest.mark.parametrize(
    "params",
    [
        {"limit": MAX_PAGE + 1},
        {"limit": 0},
        {"limit": "ten"},
        {"cursor": "not-a-cursor"},
        {"cursor": base64.urlsafe_b64encode(b"txn:99999999999999999999").decode()},
        {"cursor": base64.urlsafe_b64encode(b"txn:-1").decode()},
        {"since": "2026-11-20 soon"},
        {"lic": ""},
    ],
)
async def test_bad_transaction_queries_are_422(
    client: httpx.AsyncClient, params: dict[str, str | int]
) -> None:
    response = await client.get("/v1/transactions", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", next(iter(params))]


async def test_reconciliation_is_clean_then_reports_a_tampered_balance(
    client: httpx.AsyncClient, ledger_db: LedgerDatabase
) -> None:
    clean = (await client.get("/v1/reconciliation")).json()
    assert clean == {"ok": True, "items_checked": 3, "mismatches": []}

    owner = await asyncpg.connect(ledger_db.owner_dsn)
    try:
        await owner.execute("UPDATE balances SET demand = demand - 1 WHERE lic = 'A-1'")
        try:
            report = (await client.get("/v1/reconciliation")).json()
        finally:
            await owner.execute("UPDATE balances SET demand = demand + 1 WHERE lic = 'A-1'")
    finally:
        await owner.close()
    assert report == {
        "ok": False,
        "items_checked": 3,
        "mismatches": [
            {
                "lic": "A-1",
                "location": "main",
                "lots": None,
                "usage": None,
                "on_hand_txns": "4",
                "on_hand_balance": "4",
                "on_order_txns": "6",
                "on_order_balance": "6",
                "demand_txns": "-3",
                "demand_balance": "-4",
            }
        ],
    }


@pytest.mark.parametrize("last_id", [0, 1, 41, 2**63 - 1])
def test_cursors_round_trip(last_id: int) -> None:
    cursor = encode_cursor(last_id)
    assert cursor.isascii()
    assert "=" not in cursor
    assert decode_cursor(cursor) == last_id
