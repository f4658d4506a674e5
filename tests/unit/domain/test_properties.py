"""Properties of the pure core over random streams and random deliveries (invariants 2, 5, 6).

(a) every interleaving that keeps each document's per-topic order gives the same books;
(b) replaying any prefix, or the whole stream, again changes nothing;
(c) balances are Σ transactions per bucket, and mean what the documents and movements say;
(d) a PO line / job output never holds negative ``on_order``, an order line / job input never
    positive ``demand``, after every single event.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.domain import (
    ZERO,
    Balance,
    Books,
    Bucket,
    DocumentKey,
    DocumentState,
    ItemKey,
    LineRole,
    Transaction,
    affected_documents,
    contributions,
    fold,
    post,
    reconcile,
    replay,
)
from inventory_ledger.domain.events import (
    AdjustmentPosted,
    Event,
    MaterialsConsumed,
    OutputCompleted,
    ShipmentReceived,
    ShipmentReturned,
    ShipmentShipped,
)

from .streams import Chain, interleave, streams

pytestmark = pytest.mark.unit

EXAMPLES = settings(max_examples=500, deadline=None)
randoms = st.randoms(use_true_random=False)

LineNet = dict[tuple[str, str | None, ItemKey, Bucket], Decimal]


def _nonzero(balances: Mapping[ItemKey, Balance]) -> dict[ItemKey, Balance]:
    """Balances without all-zero items: whether an item that nets to 0 was ever touched
    depends on arrival order (e.g. a PO fully received before it opened posts no on_order)."""
    return {item: balance for item, balance in balances.items() if not balance.is_zero}


def _net_per_line(transactions: Iterable[Transaction]) -> LineNet:
    """Net on_order/demand contribution per document line and item, zeros dropped."""
    net: defaultdict[tuple[str, str | None, ItemKey, Bucket], Decimal] = defaultdict(lambda: ZERO)
    for t in transactions:
        if t.bucket is not Bucket.ON_HAND:
            key = (t.document, t.document_line, t.item, t.bucket)
            net[key] += t.qty
    return {key: qty for key, qty in net.items() if qty != ZERO}


def _expected_net(documents: Iterable[DocumentState]) -> LineNet:
    return {
        (str(line.document), line.label, item, line.role.bucket): qty
        for document in documents
        for (line, item), qty in contributions(document).items()
    }


def _on_hand_moves(transactions: Iterable[Transaction]) -> Counter[tuple[object, ...]]:
    return Counter(
        (t.item, t.qty, t.document, t.document_line, t.mfr_lot, t.event_id)
        for t in transactions
        if t.bucket is Bucket.ON_HAND
    )


@EXAMPLES
@given(streams(), randoms, randoms)
def test_every_interleaving_gives_the_same_books(
    chains: list[Chain], first: random.Random, second: random.Random
) -> None:
    in_order = replay(event for chain in chains for event in chain)

    for rnd in (first, second):
        books = replay(interleave(chains, rnd))

        assert _nonzero(books.balances) == _nonzero(in_order.balances)
        assert books.documents == in_order.documents
        assert _net_per_line(books.transactions) == _net_per_line(in_order.transactions)
        assert _on_hand_moves(books.transactions) == _on_hand_moves(in_order.transactions)
        assert books.processed == in_order.processed
        assert not books.rejected


@EXAMPLES
@given(streams(), randoms, st.data())
def test_replaying_a_prefix_or_the_whole_stream_changes_nothing(
    chains: list[Chain], rnd: random.Random, data: st.DataObject
) -> None:
    events = interleave(chains, rnd)
    k = data.draw(st.integers(0, len(events)), label="prefix")
    once = replay(events)

    assert replay(events[:k] + events) == once
    assert replay(events, once) == once
    assert replay(events[k:], replay(events[:k])) == once
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert replay(shuffled, once) == once


@EXAMPLES
@given(streams(), randoms)
def test_balances_are_the_sum_of_transactions_and_mean_what_the_events_say(
    chains: list[Chain], rnd: random.Random
) -> None:
    events = interleave(chains, rnd)
    cache: dict[ItemKey, Balance] = {}  # maintained the way a store maintains its balance rows
    books = Books()
    for event in events:
        before = len(books.transactions)
        books = replay([event], books)
        for item, delta in fold(books.transactions[before:]).items():
            cache[item] = cache.get(item, Balance()) + delta

    assert reconcile(cache, books.transactions) == ()
    assert cache == books.balances
    last = max((t.occurred_at for t in books.transactions), default=None)
    assert fold(books.transactions, as_of=last) == books.balances
    _assert_meaning(events, books)


def _assert_meaning(events: Iterable[Event], books: Books) -> None:
    """on_order/demand = Σ open contributions of the final documents; on_hand = Σ movements."""
    expected: defaultdict[tuple[ItemKey, Bucket], Decimal] = defaultdict(lambda: ZERO)
    for (_, _, item, bucket), qty in _expected_net(books.documents.values()).items():
        expected[item, bucket] += qty
    for event in events:
        for item, qty in _goods_moved(event):
            expected[item, Bucket.ON_HAND] += qty
    for item, balance in books.balances.items():
        for bucket in Bucket:
            assert getattr(balance, bucket.value) == expected.get((item, bucket), ZERO)
    assert all(item in books.balances for (item, _), qty in expected.items() if qty != ZERO)


def _goods_moved(event: Event) -> list[tuple[ItemKey, Decimal]]:
    match event:
        case ShipmentReceived() | ShipmentReturned() | OutputCompleted():
            return [(line.item, line.qty) for line in event.lines]
        case ShipmentShipped() | MaterialsConsumed():
            return [(line.item, -line.qty) for line in event.lines]
        case AdjustmentPosted():
            return [(ln.item, -ln.qty) for ln in event.consumed] + [
                (ln.item, ln.qty) for ln in event.produced
            ]
        case _:
            return []


@EXAMPLES
@given(streams(), randoms)
def test_no_line_ever_holds_negative_on_order_or_positive_demand(
    chains: list[Chain], rnd: random.Random
) -> None:
    documents: dict[DocumentKey, DocumentState] = {}
    ledger: defaultdict[str, list[Transaction]] = defaultdict(list)  # per document
    for event in interleave(chains, rnd):
        loaded = {k: documents[k] for k in affected_documents(event) if k in documents}
        posting = post(event, loaded)
        changed = {str(d.key) for d in posting.documents}
        assert {d.key for d in posting.documents} <= affected_documents(event)
        assert all(
            t.document in changed for t in posting.transactions if t.bucket is not Bucket.ON_HAND
        )
        for txn in posting.transactions:
            ledger[txn.document].append(txn)
        for document in posting.documents:
            documents[document.key] = document
            for (line, _), qty in contributions(document).items():
                incoming = line.role in {LineRole.PURCHASE, LineRole.OUTPUT}
                assert qty > ZERO if incoming else qty < ZERO
            # what the ledger holds for each line is exactly its contribution, at every step
            assert _net_per_line(ledger[str(document.key)]) == _expected_net([document])
