"""Identifiers and short texts on the wire.

Ids are 1..128 characters and item codes (``lic``) and locations 1..64, with no control
characters and no leading or trailing whitespace, so that keys like ``{location}/{lic}``, logs
and database text columns stay clean. Free text may span lines but never contains NUL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BeforeValidator, StringConstraints

__all__ = [
    "CODE_PATTERN",
    "DEFAULT_LOCATION",
    "TEXT_PATTERN",
    "Id",
    "Lic",
    "Location",
    "Text",
    "Timestamp",
]

DEFAULT_LOCATION: Final = "main"
"""The location of a line that names none."""

_CONTROL: Final = r"\x00-\x1f\x7f"
CODE_PATTERN: Final = rf"^[^\s{_CONTROL}](?:[^{_CONTROL}]*[^\s{_CONTROL}])?$"
"""Ids, ``lic``, ``location``: no control characters, no leading or trailing whitespace."""
TEXT_PATTERN: Final = r"^[^\x00]*$"
"""Free text: anything but NUL (which no text column stores)."""

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=CODE_PATTERN)]
"""A document, line, event, serial or lot id: 1..128 characters, trimmed, no control characters."""

Lic = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=CODE_PATTERN)]
"""A line item code (the item's SKU): 1..64 characters, trimmed, no control characters."""

Location = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=CODE_PATTERN)]
"""A warehouse or office code: 1..64 characters, trimmed, no control characters."""

Text = Annotated[str, StringConstraints(max_length=1000, pattern=TEXT_PATTERN)]
"""Free text for people (vendor, customer, reason); never interpreted."""


def _text_or_datetime(value: Any) -> Any:
    """RFC 3339 strings only: a bare number is not a business time the contract accepts."""
    if isinstance(value, str | datetime):
        return value
    raise ValueError("must be an RFC 3339 date-time string with a timezone")


Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_or_datetime)]
"""A business time, RFC 3339 with a timezone offset (``Z`` or ``+hh:mm``)."""
