"""What ``/v1/lots`` and ``/v1/usage`` share: money amounts and keyset cursors over item order.

Unit costs and COGS are unbounded ``numeric`` (qty x unit cost has up to 12 decimal places),
so they are not :data:`~inventory_contracts.SignedQty`; like every quantity they go out as
plain decimal strings without trailing zeros (``"19.5"``), never JSON numbers.
"""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Context, Decimal
from typing import Annotated, Final

from pydantic import PlainSerializer, WithJsonSchema

from inventory_ledger.adapters.postgres.cost_reads import ItemKeyCursor

__all__ = ["Amount", "decode_key_cursor", "encode_key_cursor", "plain_decimal"]

_MAX_CURSOR: Final = 1024
"""Longest cursor accepted (three codes of at most 64 characters and an id, base64)."""


def plain_decimal(value: Decimal) -> str:
    """``value`` exactly, as a plain decimal string: no exponent, no trailing zeros, no ``-0``."""
    if value.is_zero():
        return "0"
    return format(value.normalize(Context(prec=len(value.as_tuple().digits))), "f")


Amount = Annotated[
    Decimal,
    PlainSerializer(plain_decimal, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}),
]
"""A money amount (unit cost, COGS) as an exact decimal string."""


def encode_key_cursor(kind: str, key: ItemKeyCursor) -> str:
    """The opaque cursor of the page after the row ``key`` = (location, lic, id) of ``kind``."""
    text = json.dumps([kind, *key], separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_key_cursor(kind: str, value: str) -> ItemKeyCursor:
    """The key in a cursor of :func:`encode_key_cursor` for ``kind``; else ``ValueError``."""
    decoded: object = None
    if len(value) <= _MAX_CURSOR:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        except (binascii.Error, ValueError):
            decoded = None
    if (
        isinstance(decoded, list)
        and len(decoded) == 4
        and decoded[0] == kind
        and all(isinstance(part, str) for part in decoded[1:])
    ):
        return (decoded[1], decoded[2], decoded[3])
    raise ValueError("not a cursor this API issued (pass next_cursor back unchanged)")
