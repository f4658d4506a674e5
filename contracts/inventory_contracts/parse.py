"""Bytes off the wire → one typed inbound event, or one :class:`ContractError`.

Checks run cheapest first, each with its own reason: size, UTF-8, nesting depth (counted on the
raw bytes before any parsing, so a 20 000-deep document costs one regex pass and never reaches
a recursive parser), JSON syntax, the envelope's ``event_type`` and ``schema_version``, then the
event type's model.

The contract's JSON is the standard library's reading with ``parse_float=Decimal``, so a JSON
number like ``0.1`` arrives as exactly ``Decimal("0.1")``. Messages are first read by orjson
(several times faster) and validated with the ``FROM_FLOAT_READER`` context, in which an amount
that arrives as a float is refused: orjson makes floats of numbers with a fraction or an
exponent and of integers beyond 64 bits. If orjson refuses the bytes or the validation fails
for any reason, the message is read again by the standard library and validated as before, so
every rejection (its reason and message) is the exact reader's. What orjson accepts, the
standard library accepts too (orjson refuses NaN, invalid UTF-8, lone surrogate escapes,
trailing data, control characters in strings), with an equal value but for those floats;
and a float is accepted only where the contract ignores the field: amounts refuse it with that
context, and every other field it reads (texts, times, kinds, the integer schema version)
refuses a float anyway.

An unknown ``event_type`` is reported as such whatever its ``schema_version``: versions are
per event type, so a newer version is only meaningful for a type this contract knows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from itertools import accumulate
from typing import Any, Final, NoReturn

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from inventory_contracts.envelope import SCHEMA_VERSION
from inventory_contracts.errors import ContractError, Reason
from inventory_contracts.identifiers import CODE_PATTERN, TEXT_PATTERN
from inventory_contracts.inbound import INBOUND_EVENTS, InboundEvent
from inventory_contracts.limits import MAX_DEPTH, MAX_MESSAGE_BYTES
from inventory_contracts.quantities import FROM_FLOAT_READER

__all__ = ["parse_event", "parse_event_dict"]

_REPORTED_ERRORS: Final = 5
# A JSON string, or an unterminated one up to the end: always matches, so the scan is linear.
_STRING: Final = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")
_STEP: Final = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


def parse_event(raw: bytes) -> InboundEvent:
    """Parse one Kafka message value into its inbound event model.

    Raises :class:`ContractError` (and nothing else) when the message breaks the contract.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ContractError(
            Reason.TOO_LARGE, f"message is {len(raw)} bytes; at most {MAX_MESSAGE_BYTES} allowed"
        )
    raw = bytes(raw)  # also accept bytearray/memoryview from Kafka clients
    if not _too_deep(raw):
        try:
            return _validate(orjson.loads(raw), FROM_FLOAT_READER)
        except (orjson.JSONDecodeError, ContractError):
            pass  # read it again, exactly: the outcome and its message are the exact reader's
    return parse_event_dict(_decode(raw))


def parse_event_dict(obj: object) -> InboundEvent:
    """Validate an already decoded JSON value (``dict``) as an inbound event.

    Numbers should be ``int``, ``Decimal`` or decimal strings; a ``float`` is read through its
    shortest repr (``0.1`` → ``Decimal("0.1")``). Raises :class:`ContractError` only.
    """
    return _validate(obj, None)


def _validate(obj: object, context: object) -> InboundEvent:
    """:func:`parse_event_dict` with a pydantic validation ``context``."""
    if not isinstance(obj, dict):
        raise ContractError(Reason.SCHEMA, f"message must be a JSON object, not {_kind(obj)}")
    event_type = obj.get("event_type")
    if not isinstance(event_type, str):
        _schema_error("event_type", "is required" if event_type is None else "must be a string")
    model = INBOUND_EVENTS.get(event_type)
    if model is None:
        raise ContractError(
            Reason.UNKNOWN_EVENT_TYPE,
            f"event_type: {_short(event_type)} is not an inbound event type of contract v1",
        )
    version = obj.get("schema_version")
    if version is None:
        _schema_error("schema_version", "is required")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise ContractError(
            Reason.UNSUPPORTED_SCHEMA_VERSION,
            f"schema_version: {version} of {event_type} is newer than the supported "
            f"{SCHEMA_VERSION}",
        )
    try:
        return model.model_validate(obj, context=context)
    except ValidationError as exc:
        raise _contract_error(exc) from None


def _decode(raw: bytes) -> object:
    """The JSON value of ``raw`` as the contract defines it, or its UTF-8/depth/JSON error."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContractError(
            Reason.NOT_UTF8, f"message is not UTF-8: {exc.reason} at byte {exc.start}"
        ) from None
    if _too_deep(raw):
        raise ContractError(
            Reason.TOO_DEEP, f"JSON is nested deeper than {MAX_DEPTH} arrays/objects"
        )
    try:
        return _DECODER.decode(text)
    except RecursionError:  # unreachable after _too_deep; kept as a guarantee
        raise ContractError(Reason.TOO_DEEP, "JSON is nested too deeply") from None
    except ValueError as exc:
        raise ContractError(Reason.NOT_JSON, f"message is not JSON: {exc}") from None


def _too_deep(raw: bytes) -> bool:
    """Whether arrays/objects nest deeper than ``MAX_DEPTH``, ignoring brackets in strings."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= MAX_DEPTH:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets))) > MAX_DEPTH


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


_DECODER: Final = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)


def _schema_error(path: str, message: str) -> NoReturn:
    raise ContractError(Reason.SCHEMA, f"{path}: {message}")


def _kind(value: object) -> str:
    match value:
        case list():
            return "an array"
        case str():
            return "a string"
        case bool() | None:
            return json.dumps(value)
        case _:
            return "a number"


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _contract_error(exc: ValidationError) -> ContractError:
    errors = _relevant(exc.errors(include_url=False, include_input=False))
    too_many = any(
        error["type"] == "too_long" and len(error["loc"]) == 2 and error["loc"][0] == "data"
        for error in errors
    )
    parts = [_describe(error) for error in errors[:_REPORTED_ERRORS]]
    if len(errors) > _REPORTED_ERRORS:
        parts.append(f"({len(errors) - _REPORTED_ERRORS} more errors)")
    return ContractError(Reason.TOO_MANY_LINES if too_many else Reason.SCHEMA, "; ".join(parts))


def _relevant(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop a list's ``too_short`` that only echoes failed items (pydantic counts valid ones)."""
    failed = {error["loc"][:end] for error in errors for end in range(len(error["loc"]))}
    return [e for e in errors if not (e["type"] == "too_short" and e["loc"] in failed)]


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text or "message"


def _describe(error: ErrorDetails) -> str:
    ctx: dict[str, Any] = error.get("ctx", {})
    path = _path(error["loc"])
    if error["type"] == "contract_rule":
        inner = ctx["path"]
        return f"{path}.{inner}: {ctx['rule']}" if path != "message" else f"{inner}: {ctx['rule']}"
    return f"{path}: {_MESSAGES.get(error['type'], _default)(ctx, error['msg'])}"


def _default(_ctx: dict[str, Any], msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _bound(ctx: dict[str, Any], key: str, zero: str, other: str) -> str:
    return zero if Decimal(str(ctx[key])) == 0 else other.format(ctx[key])


_PATTERNS: Final = {
    CODE_PATTERN: "must not have control characters or leading/trailing whitespace",
    TEXT_PATTERN: "must not contain NUL characters",
}

_MESSAGES: Final[dict[str, Callable[[dict[str, Any], str], str]]] = {
    "missing": lambda _c, _m: "is required",
    "greater_than": lambda c, _m: _bound(c, "gt", "must be positive", "must be > {}"),
    "greater_than_equal": lambda c, _m: _bound(c, "ge", "must not be negative", "must be >= {}"),
    "decimal_max_places": lambda c, _m: f"must have at most {c['decimal_places']} decimal places",
    "decimal_max_digits": lambda c, _m: f"must have at most {c['max_digits']} digits",
    "finite_number": lambda _c, _m: "must be a finite number (no NaN or Infinity)",
    "decimal_parsing": lambda _c, _m: "must be a decimal number or a decimal string",
    "decimal_type": lambda _c, _m: "must be a decimal number or a decimal string",
    "string_type": lambda _c, _m: "must be a string",
    "string_too_short": lambda _c, _m: "must not be empty",
    "string_too_long": lambda c, _m: f"must be at most {c['max_length']} characters",
    "string_pattern_mismatch": lambda c, m: _PATTERNS.get(c["pattern"], m),
    "string_unicode": lambda _c, _m: "must be Unicode text (no lone surrogate escapes)",
    "too_short": lambda c, _m: f"must have at least {c['min_length']} item(s)",
    "too_long": lambda c, _m: f"must have at most {c['max_length']} items",
    "timezone_aware": lambda _c, _m: "must include a timezone offset (e.g. Z or +01:00)",
    "datetime_parsing": lambda _c, _m: "must be an RFC 3339 date-time with a timezone",
    "datetime_from_date_parsing": lambda _c, _m: "must be an RFC 3339 date-time with a timezone",
    "literal_error": lambda c, _m: f"must be {c['expected']}",
    "enum": lambda c, _m: f"must be one of {c['expected']}",
    "model_type": lambda _c, _m: "must be a JSON object",
    "model_attributes_type": lambda _c, _m: "must be a JSON object",
    "tuple_type": lambda _c, _m: "must be a JSON array",
    "list_type": lambda _c, _m: "must be a JSON array",
}
