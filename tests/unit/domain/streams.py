"""Hypothesis strategies for random business streams, as chains of ordered events.

A *chain* is the events of one document on one topic (one partition key): the only order the
ledger may rely on. A stream is a list of chains; :func:`interleave` merges them in any order
that keeps every chain's own order, which is exactly what independent topics can deliver.
Streams include over-receipts and over-shipments, receipts and shipments that name no line or
a line the document does not have, PO/order changes (quantities, removed, added and re-itemed
lines), cancellations, closes, jobs, every adjustment kind, and goods moving without a
document.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from hypothesis import strategies as st

from inventory_ledger.domain.events import Event

from .stream_atoms import Chain, Clock, Draw
from .stream_documents import (
    adjustment_chains,
    job_chains,
    loose_chains,
    purchase_chains,
    sale_chains,
)

__all__ = ["Chain", "interleave", "streams"]


@st.composite
def streams(draw: Draw) -> list[Chain]:
    """A random business stream as chains (see the module docstring)."""
    clock, chains = Clock(), []
    for build, most in (
        (purchase_chains, 2),
        (sale_chains, 2),
        (job_chains, 2),
        (adjustment_chains, 2),
        (loose_chains, 2),
    ):
        for n in range(draw(st.integers(0, most))):
            chains += build(draw, clock, n)
    return chains


def interleave(chains: Sequence[Chain], rnd: random.Random) -> list[Event]:
    """One delivery order: a uniformly random merge that keeps each chain's order."""
    turns = [i for i, chain in enumerate(chains) for _ in chain]
    rnd.shuffle(turns)
    position = [0] * len(chains)
    merged = []
    for i in turns:
        merged.append(chains[i][position[i]])
        position[i] += 1
    return merged
