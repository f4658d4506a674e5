"""Size limits of the v1 contract.

They are part of the contract, not tuning knobs: the line limit appears as ``maxItems`` in the
published JSON Schema, and a producer that stays within all three is never rejected for size.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAX_DEPTH", "MAX_LINES_PER_DOCUMENT", "MAX_MESSAGE_BYTES", "MAX_SERIALS_PER_LINE"]

MAX_MESSAGE_BYTES: Final = 1024 * 1024
"""Largest accepted message value, in bytes (1 MiB)."""

MAX_LINES_PER_DOCUMENT: Final = 1000
"""Most lines in one list of a document (``lines``, ``outputs``, ``inputs``, ``consumed``, ...)."""

MAX_DEPTH: Final = 32
"""Deepest accepted nesting of JSON arrays and objects; checked before the JSON is parsed."""

MAX_SERIALS_PER_LINE: Final = 100_000
"""Most serial numbers on one line (one per unit); the message size binds first in practice."""
