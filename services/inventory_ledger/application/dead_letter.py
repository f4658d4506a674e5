"""A message that can never be processed, as the service keeps it: plain values, no I/O.

The consumer makes one per rejected message and hands it to the store in the same transaction
as the rest of its batch; the relay later publishes it to the dead-letter topic. Where it came
from (topic, partition, offset) identifies it, so a redelivered message is recorded once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

__all__ = ["MAX_MESSAGE_CHARS", "DeadLetter", "MessageSource", "RecordedDeadLetter"]

MAX_MESSAGE_CHARS = 10_000
"""Longer human messages are cut here (the dead-letter contract allows no more)."""

_REASON = re.compile(r"[a-z][a-z0-9_]{0,63}")

Header = tuple[str, bytes | None]


@dataclass(frozen=True)
class MessageSource:
    """Where a consumed message sits in Kafka; unique per message."""

    topic: str
    partition: int
    offset: int

    def __post_init__(self) -> None:
        if self.partition < 0 or self.offset < 0:
            raise ValueError(f"partition and offset must be >= 0: {self}")


@dataclass(frozen=True)
class DeadLetter:
    """A rejected message byte for byte, with a machine-readable ``reason`` and a human message.

    ``reason`` is a contract ``Reason`` value or a business-rule code (``[a-z][a-z0-9_]*``, at
    most 64 chars); ``message`` is cut to :data:`MAX_MESSAGE_CHARS`. A ``None`` value (a Kafka
    tombstone) is kept as empty bytes.
    """

    source: MessageSource
    key: bytes | None
    value: bytes
    headers: tuple[Header, ...]
    reason: str
    message: str
    event_id: str | None = None
    event_type: str | None = None

    def __post_init__(self) -> None:
        if not _REASON.fullmatch(self.reason):
            raise ValueError(f"reason must match [a-z][a-z0-9_]{{0,63}}: {self.reason!r}")
        if len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", self.message[: MAX_MESSAGE_CHARS - 1] + "…")


@dataclass(frozen=True)
class RecordedDeadLetter:
    """A dead letter as stored: its id and what has happened to it since."""

    id: int
    letter: DeadLetter
    created_at: datetime
    published_at: datetime | None
    replayed_at: datetime | None
