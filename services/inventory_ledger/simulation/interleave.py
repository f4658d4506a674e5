"""Delivery order: topics lag behind business time independently, as real producers do.

Every topic delivers its events in business-time order (so per-key order, and in fact
per-topic order, is preserved), but each topic has its own small jitter and, now and then, an
outage during which its events are held back and then delivered in a burst. Across topics the
delivery order therefore differs from business time: a receipt on ``shipping.v1`` can arrive
before the PO it belongs to on a lagging ``purchasing.v1``. No event is delayed by more than
``max_lag_s``; with ``max_lag_s == 0`` delivery order is business-time order.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable, Iterator

from .config import SimulatedMessage
from .engine import HOUR, Emitted

__all__ = ["Delivered", "interleave"]

Delivered = tuple[float, SimulatedMessage]
"""(delivery time in business seconds, record), in delivery order."""

_JITTER_S = 30.0
_MEAN_BETWEEN_OUTAGES_S = 12 * HOUR


class _Lane:
    """One topic's delivery delay over business time: jitter, and outages that hold events."""

    __slots__ = ("last", "max_lag", "outage_end", "outage_start", "rng")

    def __init__(self, rng: random.Random, max_lag_s: float) -> None:
        self.rng = rng
        self.max_lag = max_lag_s
        self.last = 0.0
        self.outage_start = 0.0
        self.outage_end = 0.0

    def next_outage(self) -> None:
        self.outage_start = self.outage_end + self.rng.expovariate(1 / _MEAN_BETWEEN_OUTAGES_S)
        self.outage_end = self.outage_start + self.rng.uniform(0.1, 1.0) * self.max_lag


def interleave(
    events: Iterable[Emitted], rng: random.Random, max_lag_s: float
) -> Iterator[Delivered]:
    """Reorder business-time-ordered events into delivery order (streaming, bounded buffer).

    An event is released once business time has passed its arrival time: every later event
    arrives no earlier than its own business time, so nothing can still overtake it.
    """
    if max_lag_s <= 0:
        yield from events
        return
    lanes: dict[str, _Lane] = {}
    pending: list[tuple[float, int, SimulatedMessage]] = []
    released: tuple[float, int, SimulatedMessage]
    push, pop, draw = heapq.heappush, heapq.heappop, rng.random
    jitter = min(_JITTER_S, max_lag_s)
    for seq, (t, message) in enumerate(events):
        lane = lanes.get(message.topic)
        if lane is None:
            lane = lanes[message.topic] = _Lane(rng, max_lag_s)
        while t >= lane.outage_end:
            lane.next_outage()
        base = lane.outage_end if t >= lane.outage_start else t
        arrival = min(base + draw() * jitter, t + max_lag_s)
        arrival = max(arrival, lane.last)
        lane.last = arrival
        push(pending, (arrival, seq, message))
        while pending and pending[0][0] <= t:
            released = pop(pending)
            yield released[0], released[2]
    while pending:
        released = pop(pending)
        yield released[0], released[2]
