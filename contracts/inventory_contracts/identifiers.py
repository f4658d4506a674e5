"""Identifiers and short texts on the wire.

Ids are 1..128 characters and item codes (``lic``) and locations 1..64, with no leading or
trailing whitespace and no line breaks, so that ``{location}/{lic}`` and logs stay readable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AwareDatetime, BeforeValidator, StringConstraints

__all__ = [
    "DEFAULT_LOCATION",
    "Id",
    "Lic",
    "Location",
    "Text",
    "Timestamp",
]

DEFAULT_LOCATION: Final = "main"
"""The location of a line that names none."""

_TRIMMED: Final = r"^\S(?:.*\S)?$"

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=_TRIMMED)]
"""A document, line, event, serial or lot id: 1..128 characters, trimmed, one line."""

Lic = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_TRIMMED)]
"""A line item code (the item's SKU): 1..64 characters, trimmed, one line."""

Location = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_TRIMMED)]
"""A warehouse or office code: 1..64 characters, trimmed, one line."""

Text = Annotated[str, StringConstraints(max_length=1000)]
"""Free text for people (vendor, customer, reason); never interpreted."""


def _text_or_datetime(value: Any) -> Any:
    """RFC 3339 strings only: a bare number is not a business time the contract accepts."""
    if isinstance(value, str | datetime):
        return value
    raise ValueError("must be an RFC 3339 date-time string with a timezone")


Timestamp = Annotated[AwareDatetime, BeforeValidator(_text_or_datetime)]
"""A business time, RFC 3339 with a timezone offset (``Z`` or ``+hh:mm``)."""
