"""What every inbound business event carries, whatever its type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

__all__ = ["BusinessEvent"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessEvent:
    """A fact a producer reported; past tense, immutable.

    ``event_id`` is the idempotency key: the same id is posted at most once.
    ``occurred_at`` is business time (timezone-aware) and stamps every transaction it causes.
    ``event_type`` names the contract event this value was translated from.
    """

    event_type: ClassVar[str] = ""
    event_id: str
    occurred_at: datetime
