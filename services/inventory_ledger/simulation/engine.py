"""A small discrete-event engine: documents are generator processes in business time.

Each business document (a PO, an order, a job, ...) is a generator that emits events through
the :class:`Context` at the current business time and then yields how many seconds to wait
until its next step. New documents arrive at random during business hours. The engine yields
events strictly in business-time order; :mod:`.interleave` later decides the delivery order.

One context runs one *site*: a location with its own stock, document numbering (``PO-01-…``)
and serial/lot numbering. Sites share the catalog, vendors and customers but no state, so
each runs independently (and can run in its own process, see :mod:`.parallel`).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime
from typing import Any

from .catalog import Catalog, Item
from .chance import Chance
from .config import SimulatedMessage, TopicNames
from .stock import Stock

__all__ = ["DAY", "HOUR", "Context", "Emitted", "Process", "run", "uuid4_from"]

Process = Generator[float, None, None]
"""A document's life: emits events via the context, yields seconds to wait until its next step."""

Emitted = tuple[float, SimulatedMessage]
"""(business time in seconds since the start, the record)."""

HOUR = 3_600.0
DAY = 24 * HOUR
_OPEN_HOUR, _CLOSE_HOUR = 7, 19


_MINUTES = tuple(f"T{m // 60:02d}:{m % 60:02d}:" for m in range(24 * 60))
_SECONDS = tuple(f"{s:02d}+00:00" for s in range(60))
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4_from(rng: random.Random) -> str:
    """``str(uuid.UUID(int=rng.getrandbits(128), version=4))``, faster: a seeded UUID v4."""
    h = ((rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET).to_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Context:
    """Everything a document process may touch: randomness, master data, stock, the clock."""

    def __init__(
        self, rng: Chance, catalog: Catalog, topics: TopicNames, start: datetime, site: int = 0
    ) -> None:
        self.rng = rng
        self.random = rng.random
        self._getrandbits = rng.getrandbits
        self.catalog = catalog
        self.topics = topics
        self.site = site
        self.home = catalog.locations[site]
        self._tag = f"{site + 1:02d}"
        self.stock = Stock(self._tag)
        self.now = 0.0
        self.purchased = catalog.purchased
        self.kits = catalog.kits
        self.by_lic = {item.lic: item for item in catalog.items}
        self._start = start.timestamp()
        self._iso_day = -1
        self._iso_date = ""
        self._ids: dict[str, int] = {}
        self.agenda: list[tuple[float, int, Process]] = []
        self.seq = 0
        self.out: list[Emitted] = []

    def new_id(self, prefix: str) -> str:
        """The site's next document id of a kind: ``PO-01-000001``, ``SO-02-000001``, ..."""
        n = self._ids.get(prefix, 0) + 1
        self._ids[prefix] = n
        return f"{prefix}-{self._tag}-{n:06d}"

    def location(self) -> str:
        """Where a document of this site happens: the site's own location."""
        return self.home

    def amount(self, item: Item, lo_units: int, hi_units: int) -> int:
        """A quantity in thousandths between the bounds (units), a multiple of the item's step."""
        step = item.step
        lo = max(1, lo_units * 1000 // step)
        hi = max(lo, hi_units * 1000 // step)
        return step * (lo + int(self.random() * (hi - lo + 1)))  # Chance.randint, inlined

    def emit(self, topic: str, key: str, event_type: str, data: dict[str, Any]) -> None:
        """Record one event at the current business time.

        The hottest function of the simulator: ``uuid4_from`` and the ``occurred_at``
        formatting are inlined here (ISO 8601 UTC to the second, from a cached date and
        precomputed time-of-day parts).
        """
        now = self.now
        day, second = divmod(int(self._start + now), 86_400)
        if day != self._iso_day:
            self._iso_day = day
            self._iso_date = datetime.fromtimestamp(day * 86_400, UTC).date().isoformat()
        minute, second = divmod(second, 60)
        h = ((self._getrandbits(128) & _UUID_CLEAR) | _UUID_SET).to_bytes(16).hex()
        envelope = {
            "event_id": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
            "event_type": event_type,
            "schema_version": 1,
            "occurred_at": self._iso_date + _MINUTES[minute] + _SECONDS[second],
            "data": data,
        }
        self.out.append((now, SimulatedMessage(topic, key, envelope)))

    def spawn(self, process: Process, delay: float = 0.0) -> None:
        """Start ``process`` after ``delay`` seconds of business time."""
        self.seq += 1
        heapq.heappush(self.agenda, (self.now + delay, self.seq, process))

    def next_opening(self, t: float) -> float:
        """``t`` if it falls in business hours on a weekday, else the next opening time."""
        absolute = self._start + t
        day, seconds = divmod(absolute, DAY)
        weekday = (int(day) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        if weekday < 5 and _OPEN_HOUR * 3600 <= seconds < _CLOSE_HOUR * 3600:
            return t
        skip = 1 if seconds >= _OPEN_HOUR * 3600 else 0
        while (int(day) + skip + 3) % 7 >= 5:
            skip += 1
        return (day + skip) * DAY + _OPEN_HOUR * 3600 - self._start


def run(
    ctx: Context,
    opening: Process,
    next_document: Callable[[Context], Process],
    mean_gap_s: float,
) -> Iterator[Emitted]:
    """Run the business forever; the caller stops iterating when it has enough events."""
    heap, spawn = ctx.agenda, ctx.spawn
    spawn(opening)
    rate = 1.0 / mean_gap_s
    arrival = ctx.next_opening(ctx.rng.expovariate(rate))
    while True:
        if heap and heap[0][0] <= arrival:
            # Step the due process in place: it stays on top of the agenda while it runs
            # (anything it spawns is due no earlier and sorts after it), then one sift.
            now, _, process = heap[0]
            ctx.now = now
            delay = next(process, None)
            if delay is None:
                heapq.heappop(heap)
            else:
                ctx.seq += 1
                heapq.heapreplace(heap, (now + (delay if delay > 1.0 else 1.0), ctx.seq, process))
        else:
            ctx.now = arrival
            process = next_document(ctx)
            arrival = ctx.next_opening(arrival + ctx.rng.expovariate(rate))
            delay = next(process, None)
            if delay is not None:
                spawn(process, delay if delay > 1.0 else 1.0)
        if ctx.out:
            out, ctx.out = ctx.out, []
            yield from out
