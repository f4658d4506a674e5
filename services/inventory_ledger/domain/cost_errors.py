"""Business-rule rejections of the cost side (serials and manufacturer lots).

Like :class:`~.errors.EventRejectedError`, a :class:`BusinessRuleViolation` means the event
changes nothing: the service dead-letters it with ``reason`` (machine-readable, stable) and
``message`` (for a human), and never silently fixes the stream.
"""

from __future__ import annotations

from enum import StrEnum

from .errors import DomainError

__all__ = ["BusinessRuleViolation", "CostReason"]


class CostReason(StrEnum):
    """Stable reasons for rejecting an event on serial / mfr-lot grounds."""

    SERIAL_ALREADY_IN_STOCK = "serial_already_in_stock"
    SERIAL_NOT_IN_STOCK = "serial_not_in_stock"
    SERIAL_NOT_SHIPPED = "serial_not_shipped"
    SERIAL_COUNT_MISMATCH = "serial_count_mismatch"
    MFR_LOT_REQUIRED = "mfr_lot_required"


class BusinessRuleViolation(DomainError):  # noqa: N818 - the brief's (and the domain's) name
    """The event breaks a serial or manufacturer-lot rule; posting it would corrupt the books."""

    def __init__(self, reason: CostReason, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
