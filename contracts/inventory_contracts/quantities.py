"""Decimal amounts on the wire: quantities, signed balances, money and weights.

JSON numbers and JSON strings are both accepted and must be exact: the parser reads JSON
numbers as :class:`~decimal.Decimal` (never ``float``). At most 6 decimal places and 24 digits
(``numeric(24, 6)``), never NaN or Infinity. Values are canonicalized on the way in (``2.50``
becomes ``2.5``, ``1E+2`` becomes ``100``) and always serialized to JSON as plain strings.
"""

from __future__ import annotations

from decimal import Context, Decimal
from typing import Annotated, Any, Final

from pydantic import (
    Field,
    PlainSerializer,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "DECIMAL_PLACES",
    "FROM_FLOAT_READER",
    "MAX_DIGITS",
    "CostShare",
    "Money",
    "Qty",
    "SignedQty",
]

DECIMAL_PLACES: Final = 6
"""Most digits after the decimal point of any amount."""
MAX_DIGITS: Final = 24
"""Most digits of any amount in total (18 before the point, 6 after)."""

_CONTEXT: Final = Context(prec=MAX_DIGITS + 10)
_INT: Final = rf"[0-9]{{1,{MAX_DIGITS - DECIMAL_PLACES}}}"
_FRACTION: Final = rf"(\.[0-9]{{1,{DECIMAL_PLACES}}})?"


def _canonical(value: Decimal) -> Decimal:
    """Drop trailing zeros and exponents so equal amounts serialize equally (no ``-0``)."""
    if value.is_zero():
        return _ZERO
    normal = value.normalize(_CONTEXT)
    if normal.adjusted() >= 0 and normal == normal.to_integral_value():  # 1E+2 → 100
        return normal.quantize(_ONE, context=_CONTEXT)
    return normal


FROM_FLOAT_READER: Final = object()
"""Validation context: the JSON was read by a reader that makes floats of JSON numbers.

orjson reads ``0.1`` as a float and 20-digit integers as floats; an amount must never pass
through a float, so with this context an amount that arrives as a float is refused (the
message is then read again by the exact reader, see ``inventory_contracts.parse``).
"""

_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_SPELLINGS: dict[str | int, Decimal] = {}
"""Amounts already validated, by their exact JSON spelling (``"2.50"``, ``3``): the result."""
_SPELLINGS_MAX: Final = 4096
_SPELLING_MAX_CHARS: Final = 48


def _amount(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Decimal:
    """The decimal's own checks (``handler``) then :func:`_canonical`, remembered per spelling.

    The same string or integer always validates to the same amount (in lax mode, as every
    contract model validates), so a valid one is looked up instead of parsed and checked again;
    failures are not remembered: they raise each time.
    """
    kind = type(value)
    if kind is str or kind is int:
        known = _SPELLINGS.get(value)
        if known is not None:
            return known
    elif kind is float and info.context is FROM_FLOAT_READER:
        raise PydanticCustomError("inexact_float", "an amount read as a float")
    amount = _canonical(handler(value))
    if (kind is str and len(value) <= _SPELLING_MAX_CHARS) or kind is int:
        if len(_SPELLINGS) >= _SPELLINGS_MAX:
            _SPELLINGS.clear()
        _SPELLINGS[value] = amount
    return amount


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _json_schema(number: dict[str, Any], pattern: str, what: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": pattern},
                {"type": "number", **number},
            ],
            "description": (
                f"{what}: a decimal with at most {DECIMAL_PLACES} decimal places, as a JSON "
                "string (preferred) or number, read exactly (never as a float)."
            ),
        },
        mode="validation",
    )


_OUT_SCHEMA: Final = WithJsonSchema(
    {"type": "string", "pattern": rf"^-?{_INT}{_FRACTION}$"}, mode="serialization"
)
_Decimal = Annotated[
    Decimal,
    Field(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, allow_inf_nan=False),
    WrapValidator(_amount),
    PlainSerializer(_plain, return_type=str, when_used="json"),
    _OUT_SCHEMA,
]

Qty = Annotated[
    _Decimal,
    Field(gt=0),
    _json_schema({"exclusiveMinimum": 0}, rf"^(?![0.]*$){_INT}{_FRACTION}$", "A positive quantity"),
]
"""A positive quantity (> 0) of an item, in the item's unit."""

SignedQty = Annotated[
    _Decimal,
    _json_schema({}, rf"^-?{_INT}{_FRACTION}$", "A signed quantity"),
]
"""A balance or a change of balance; may be zero or negative."""

Money = Annotated[
    _Decimal,
    Field(ge=0),
    _json_schema({"minimum": 0}, rf"^{_INT}{_FRACTION}$", "A non-negative amount of money"),
]
"""A non-negative amount in the deployment's single currency (unit costs, freight, labour)."""

CostShare = Annotated[
    _Decimal,
    Field(gt=0),
    _json_schema({"exclusiveMinimum": 0}, rf"^(?![0.]*$){_INT}{_FRACTION}$", "A positive weight"),
]
"""A positive relative weight; only ratios between weights of one document matter."""
