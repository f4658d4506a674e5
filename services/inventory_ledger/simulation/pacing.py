"""Rate limiting and progress output shared by the file and Kafka writers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .config import SimulatedMessage

__all__ = ["Pacer", "paced", "progress_bar"]


class Pacer:
    """Spreads sending over time: at most ``rate`` records per second on average."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._clock = clock
        self._start: float | None = None

    @property
    def every(self) -> int:
        """How many records to send between two waits (about 50 waits per second)."""
        return max(1, int(self.rate / 50)) if self.rate else 1 << 30

    def wait_s(self, sent: int) -> float:
        """Seconds to wait now so that ``sent`` records have taken at least ``sent / rate``."""
        now = self._clock()
        if self._start is None:
            self._start = now
        if not self.rate:
            return 0.0
        return max(0.0, self._start + sent / self.rate - now)


def paced(messages: Iterable[SimulatedMessage], rate: float | None) -> Iterator[SimulatedMessage]:
    """``messages`` at no more than ``rate`` per second (unchanged when ``rate`` is None)."""
    if rate is None:
        yield from messages
        return
    pacer = Pacer(rate)
    pacer.wait_s(0)
    every = pacer.every
    for sent, message in enumerate(messages, start=1):
        yield message
        if sent % every == 0:
            time.sleep(pacer.wait_s(sent))


@contextmanager
def progress_bar(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """Progress on stderr; yields ``advance(n)``.

    A live bar on a terminal; elsewhere (CI logs, pipes) a plain line at every tenth of the
    way. Either way a final line with the count and the rate.
    """
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    live = console.is_terminal
    with Progress(*columns, console=console, disable=not live) as progress:
        task = progress.add_task(description, total=total)
        done, next_line = 0, max(1, total // 10)

        def advance(n: int) -> None:
            nonlocal done, next_line
            done += n
            progress.advance(task, n)
            if not live and done >= next_line and done < total:
                console.print(f"{description}: {done:,}/{total:,}", highlight=False)
                next_line += max(1, total // 10)

        yield advance
    elapsed = max(time.perf_counter() - started, 1e-9)
    console.print(
        f"{description}: {done:,} records in {elapsed:.2f} s ({done / elapsed:,.0f}/s)",
        highlight=False,
    )
