"""apply_batch against the pure oracle: any batching, any redelivery, the same books."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_ledger.application.apply_batch import Inbound, apply_batch
from inventory_ledger.domain.balance import fold
from inventory_ledger.domain.books import replay
from tests.unit.application.memory_store import MemoryLedgerStore
from tests.unit.domain.streams import Chain, interleave, streams

pytestmark = pytest.mark.unit


def _run(store: MemoryLedgerStore, events: list, sizes: list[int]) -> None:  # type: ignore[type-arg]
    async def go() -> None:
        i = 0
        for size in sizes:
            if i >= len(events):
                break
            await apply_batch(store, [Inbound(e) for e in events[i : i + size]])
            i += size
        if i < len(events):
            await apply_batch(store, [Inbound(e) for e in events[i:]])

    asyncio.run(go())


@settings(max_examples=300, deadline=None)
@given(
    chains=streams(),
    seed=st.integers(0, 2**32 - 1),
    sizes=st.lists(st.integers(1, 7), min_size=1, max_size=40),
    redeliver=st.floats(0, 0.5),
)
def test_any_batching_and_redelivery_gives_the_oracle_books(
    chains: list[Chain], seed: int, sizes: list[int], redeliver: float
) -> None:
    rnd = random.Random(seed)
    events = interleave(chains, rnd)
    delivered = [e for e in events for _ in range(2 if rnd.random() < redeliver else 1)]
    store = MemoryLedgerStore()
    _run(store, delivered, sizes)

    oracle = replay(events)
    assert fold(store.state.transactions) == oracle.balances
    assert {i: vb.balance for i, vb in store.state.balances.items() if not vb.balance.is_zero} == {
        i: b for i, b in oracle.balances.items() if not b.is_zero
    }
    assert set(store.state.processed) == set(oracle.processed)
    assert sorted(store.state.transactions, key=repr) == sorted(oracle.transactions, key=repr)

    versions: dict[object, list[int]] = defaultdict(list)
    for change in store.state.outbox:
        versions[change.item].append(change.version)
    for item, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"{item}: versions not 1..n"
        assert store.state.balances[item].version == seen[-1]
