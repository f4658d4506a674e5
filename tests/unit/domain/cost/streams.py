"""Hypothesis strategies: random cost-relevant streams over a few items.

Items ``A`` and ``B`` are plain goods (each FIFO or LIFO), ``M`` is tracked by manufacturer
lot (every receipt and return names one). Streams mix receipts with and without PO, bills
with freight, shipments that outrun stock, give-back returns and return lots, every
adjustment kind (assemblies A -> B and divisions B -> A, so cost flows both ways) and jobs.
Business times are drawn from a small range so that ties (broken by event id) are common.
Serials are left to their own strategy, ``serial_stories`` (their rules are causal, see
``serials``).
"""

from __future__ import annotations

from itertools import count

from hypothesis import strategies as st

from inventory_ledger.domain.allocation import CostingMethod
from inventory_ledger.domain.events import AdjustmentKind, Event

from .support import (
    adj_line,
    adjustment,
    bill,
    completed,
    consumed,
    job_closed,
    job_opened,
    po_opened,
    received,
    returned,
    shipped,
)

__all__ = ["methods", "serial_stories", "streams"]

_KINDS = (
    *("recv", "po", "ship", "ship", "ret", "ret", "inc", "dec"),
    *("asm", "div", "job", "mrecv", "mship", "mret", "sale", "sale"),
)

methods = st.fixed_dictionaries(
    {"A": st.sampled_from(CostingMethod), "B": st.sampled_from(CostingMethod)}
)


@st.composite
def streams(draw: st.DrawFn, max_groups: int = 10) -> list[Event]:
    """A list of events with unique ids (in generation order, not business-time order)."""
    ids = count(1)
    events: list[Event] = []
    shipments: list[tuple[str, str, int]] = []

    def eid() -> str:
        return f"e{next(ids):03d}"

    def hours(low: int = 0, high: int = 30) -> int:
        return draw(st.integers(low, high))

    def qty(high: int = 5) -> int:
        return draw(st.integers(1, high))

    lic = st.sampled_from(("A", "B"))
    for _ in range(draw(st.integers(1, max_groups))):
        kind = draw(st.sampled_from(_KINDS))
        if kind == "recv":
            events.append(received(eid(), hours(0, 20), draw(lic), qty(), unit_cost=qty(9)))
        elif kind == "po":
            po, line, what, n = eid(), "L1", draw(lic), qty()
            events.append(po_opened(po, hours(), po, (line, what, n, qty(9))))
            receipts = draw(st.integers(0, 2))
            events += [
                received(eid(), hours(), what, qty(), po=(po, line)) for _ in range(receipts)
            ]
            if draw(st.booleans()):
                freight = draw(st.sampled_from((None, 1, 3)))
                events.append(bill(eid(), hours(), po, (line, n, qty(9)), freight=freight))
        elif kind in {"ship", "mship"}:
            what, e = ("M" if kind == "mship" else draw(lic)), eid()
            mfr = draw(st.sampled_from((None, "X", "Y"))) if kind == "mship" else None
            when = hours(8)  # usage tends to follow supply, yet may precede it
            events.append(shipped(e, when, what, qty(6), mfr_lot=mfr))
            shipments.append((e, what, when))
        elif kind in {"ret", "mret"}:
            what = "M" if kind == "mret" else draw(lic)
            mine = [(s, when) for s, shipped_what, when in shipments if shipped_what == what]
            original, when = draw(st.sampled_from([(None, hours()), *mine, *mine]))
            later = when + draw(st.integers(0, 8))  # mostly after its shipment, as in life
            mfr = draw(st.sampled_from(("X", "Y"))) if kind == "mret" else None
            events.append(returned(eid(), later, what, qty(3), original=original, mfr_lot=mfr))
        elif kind == "sale":  # a receipt, a shipment from it and part of it coming back
            what, start, sale = draw(lic), hours(0, 15), eid()
            events.append(received(eid(), start, what, qty(), unit_cost=qty(9)))
            events.append(shipped(sale, start + draw(st.integers(0, 5)), what, qty(4)))
            back = start + draw(st.integers(0, 12))
            events.append(returned(eid(), back, what, qty(3), original=sale))
        elif kind == "mrecv":
            mfr = draw(st.sampled_from(("X", "Y")))
            events.append(received(eid(), hours(), "M", qty(), unit_cost=qty(9), mfr_lot=mfr))
        elif kind == "inc":
            made = adj_line("1", draw(lic), qty(), unit_cost=qty(9))
            events.append(adjustment(eid(), hours(), AdjustmentKind.INCREASE, (), (made,)))
        elif kind == "dec":
            used = adj_line("1", draw(lic), qty())
            events.append(adjustment(eid(), hours(), AdjustmentKind.DECREASE, (used,), ()))
        elif kind == "asm":
            parts = (adj_line("1", "A", qty(3)), adj_line("2", "M", 1, mfr_lot="X"))
            kit = (adj_line("3", "B", qty(2)),)
            events.append(adjustment(eid(), hours(), AdjustmentKind.ASSEMBLY, parts, kit))
        elif kind == "div":
            share = draw(st.sampled_from((None, 1, 3)))
            pieces = (
                adj_line("2", "A", qty(3), cost_share=share),
                adj_line("3", "B", qty(3), cost_share=None if share is None else 2),
            )
            source = (adj_line("1", "B", qty(2)),)
            events.append(adjustment(eid(), hours(), AdjustmentKind.DIVISION, source, pieces))
        else:
            job = eid()
            events.append(job_opened(job, hours(), job, [("O1", "B", 2)]))
            events.append(consumed(eid(), hours(), job, "A", qty(3)))
            events.append(
                completed(eid(), hours(), job, "B", qty(2), draw(st.sampled_from((None, "O1"))))
            )
            if draw(st.booleans()):
                events.append(job_closed(eid(), hours(), job, draw(st.sampled_from((None, 4)))))
    return events


@st.composite
def serial_stories(draw: st.DrawFn) -> list[Event]:
    """Each serial's causal story (receipt, then alternating ship / give-back return)."""
    events: list[Event] = []
    for n in range(draw(st.integers(1, 4))):
        serial, hours, eid = f"SN{n}", draw(st.integers(0, 5)), f"s{n}"
        events.append(received(f"{eid}r", hours, "A", 1, unit_cost=10 + n, serials=(serial,)))
        for step in range(draw(st.integers(0, 4))):
            hours += draw(st.integers(1, 3))
            if step % 2 == 0:
                events.append(shipped(f"{eid}x{step}", hours, "A", 1, serials=(serial,)))
            else:
                original = draw(st.sampled_from((None, f"{eid}x{step - 1}")))
                events.append(
                    returned(f"{eid}t{step}", hours, "A", 1, original=original, serials=(serial,))
                )
    return events
