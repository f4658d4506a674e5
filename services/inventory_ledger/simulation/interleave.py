"""Delivery order: topics go quiet now and then and deliver a backlog, as real producers do.

Each topic of a site delivers its events as they happen, except during an outage (a
connector down, a producer restarting): then its events are held back and delivered in a
burst, in their original order, just before the first event after the outage. Outages start
about twice a business day per topic and last up to ``max_lag_s``. So every topic (hence
every key) keeps its business order, while across topics the delivery order differs from
business time: a receipt on ``shipping.v1`` can arrive before the PO it belongs to on a
lagging ``purchasing.v1``. With ``max_lag_s == 0`` delivery order is business-time order.

Each record comes with its delivery time (business seconds): the time it happened, or for
a held record the time of the event that ended its outage. Delivery times never decrease,
so sites can be merged by them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator

from .config import SimulatedMessage
from .engine import HOUR, Emitted

__all__ = ["Delivered", "interleave"]

Delivered = tuple[float, SimulatedMessage]
"""(delivery time in business seconds, record), in delivery order."""

_MEAN_BETWEEN_OUTAGES_S = 12 * HOUR
_NEVER = float("inf")


class _Lane:
    """One topic's outages over business time and the records it holds back."""

    __slots__ = ("held", "max_lag", "outage_end", "outage_start", "rng")

    def __init__(self, rng: random.Random, max_lag_s: float) -> None:
        self.rng = rng
        self.max_lag = max_lag_s
        self.outage_start = 0.0
        self.outage_end = 0.0
        self.held: list[SimulatedMessage] = []

    def plan_until(self, t: float) -> None:
        """Schedule outages until one ends after ``t``."""
        while t >= self.outage_end:
            gap = self.rng.expovariate(1 / _MEAN_BETWEEN_OUTAGES_S)
            self.outage_start = self.outage_end + gap
            self.outage_end = self.outage_start + self.rng.uniform(0.1, 1.0) * self.max_lag


def interleave(
    events: Iterable[Emitted], rng: random.Random, max_lag_s: float
) -> Iterator[Delivered]:
    """Reorder business-time-ordered events into delivery order (streaming)."""
    if max_lag_s <= 0:
        yield from events
        return
    lanes: dict[str, _Lane] = {}
    holding: list[_Lane] = []  # lanes with held records, in the order they started holding
    release_at = _NEVER  # the earliest end of an outage that holds records
    t = 0.0
    for t, message in events:
        if t >= release_at:
            for ended in [h for h in holding if t >= h.outage_end]:
                for held in ended.held:
                    yield t, held
                ended.held.clear()
                holding.remove(ended)
            release_at = min((h.outage_end for h in holding), default=_NEVER)
        found = lanes.get(message.topic)
        lane = (
            found if found is not None else lanes.setdefault(message.topic, _Lane(rng, max_lag_s))
        )
        if t >= lane.outage_end:
            lane.plan_until(t)
        if t < lane.outage_start:
            yield t, message
            continue
        if not lane.held:
            holding.append(lane)
            release_at = min(release_at, lane.outage_end)
        lane.held.append(message)
    for lane in holding:
        for held in lane.held:
            yield t, held
