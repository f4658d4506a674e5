"""Why the domain refuses an event.

A refused event changes nothing: the service turns it into a dead letter carrying ``reason``
(machine-readable, stable) and ``message`` (for a human), and never silently "fixes" it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DomainError", "EventRejectedError", "Reason"]


class Reason(StrEnum):
    """Stable, machine-readable rejection reasons (part of the dead-letter contract)."""

    DUPLICATE_LINE_ID = "duplicate_line_id"
    NON_POSITIVE_QUANTITY = "non_positive_quantity"
    ADJUSTMENT_SHAPE = "adjustment_shape"


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class EventRejectedError(DomainError):
    """The event violates a business rule; posting it would corrupt the books."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
