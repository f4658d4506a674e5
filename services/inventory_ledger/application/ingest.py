"""Apply a consumed batch, riding out a database outage without skipping anything.

A batch either commits whole or not at all. While the database is unavailable the same batch
is retried in place with capped exponential backoff; past ``retry_max_s`` the error escapes,
so the consumer does not commit offsets and the batch is delivered again (never skipped).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from inventory_ledger.application.apply_batch import BatchResult, Inbound, apply_batch
from inventory_ledger.application.cost_tracking import CostTracker
from inventory_ledger.application.dead_letter import DeadLetter
from inventory_ledger.application.ports import LedgerStore, StoreUnavailableError

__all__ = ["RetryPolicy", "ingest"]

_log: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    initial_s: float = 0.5
    max_delay_s: float = 30.0
    give_up_after_s: float = 120.0


async def ingest(
    store: LedgerStore,
    inbound: Sequence[Inbound],
    dead_letters: Sequence[DeadLetter],
    retry: RetryPolicy = RetryPolicy(),
    costs: CostTracker | None = None,
) -> BatchResult:
    """``apply_batch`` with dead letters, retried while the store is unavailable."""
    deadline = time.monotonic() + retry.give_up_after_s
    delay = retry.initial_s
    while True:
        try:
            return await apply_batch(store, inbound, dead_letters=dead_letters, costs=costs)
        except StoreUnavailableError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                _log.error("database unavailable; leaving the batch for redelivery", error=str(exc))
                raise
            _log.warning("database unavailable; retrying the batch", error=str(exc), in_s=delay)
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, retry.max_delay_s)
