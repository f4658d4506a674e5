"""Domain events ↔ compact, canonical JSON: the cost log, parked events and fingerprints.

The cost side keeps the accepted events so a process can rebuild its cost books from the
database (see ``cost_tracking``), and the unit of work fingerprints an event by this text
(``apply_batch.fingerprint``): it depends on the values only, not on which ``tzinfo`` object
or parser produced them, so an event read back from the database fingerprints as it did
when it arrived. The encoding walks the event dataclasses by
their type hints: ``Decimal`` as a string (exact), ``datetime`` as ISO 8601 with its offset,
enums by value, ``ItemKey`` as ``[lic, location]``, tuples as lists; a field left at ``None``
is omitted. Decoding is the inverse, so ``decode(encode(e)) == e``.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

import orjson

from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ItemKey

__all__ = ["decode_event", "encode_event"]

_TYPES: dict[str, Any] = {cls.event_type: cls for cls in typing.get_args(Event)}
_Codec = Callable[[Any], Any]


def encode_event(event: Event) -> str:
    """The event as JSON text (``type`` names its event type)."""
    cls: Any = type(event)
    body = _encoder(cls)(event)
    body["type"] = event.event_type
    return orjson.dumps(body).decode()


def decode_event(text: str | bytes) -> Event:
    """The event ``encode_event`` wrote."""
    body = orjson.loads(text)
    cls = _TYPES[body.pop("type")]
    event: Event = _decoder(cls)(body)
    return event


@cache
def _encoder(cls: Any) -> Callable[[Any], dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    plan = [(f.name, _encode_value(hints[f.name])) for f in dataclasses.fields(cls)]

    def encode(value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, codec in plan:
            field_value = getattr(value, name)
            if field_value is None:
                continue
            out[name] = codec(field_value)
        return out

    return encode


@cache
def _decoder(cls: Any) -> Callable[[dict[str, Any]], Any]:
    hints = typing.get_type_hints(cls)
    plan = [(f.name, _decode_value(hints[f.name])) for f in dataclasses.fields(cls)]

    def decode(body: dict[str, Any]) -> Any:
        return cls(**{name: codec(body[name]) for name, codec in plan if name in body})

    return decode


_SCALARS: dict[Any, tuple[_Codec, _Codec]] = {
    Decimal: (str, Decimal),
    datetime: (datetime.isoformat, datetime.fromisoformat),
    ItemKey: (lambda key: [key.lic, key.location], lambda pair: ItemKey(pair[0], pair[1])),
}


def _encode_value(hint: Any) -> _Codec:
    inner = _unwrap(hint)
    if inner in _SCALARS:
        return _SCALARS[inner][0]
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return lambda member: member.value
    if typing.get_origin(inner) is tuple:
        element = _encode_value(typing.get_args(inner)[0])
        return lambda items: [element(x) for x in items]
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        return _encoder(inner)
    return lambda value: value


def _decode_value(hint: Any) -> _Codec:
    inner = _unwrap(hint)
    if inner in _SCALARS:
        return _SCALARS[inner][1]
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return inner
    if typing.get_origin(inner) is tuple:
        element = _decode_value(typing.get_args(inner)[0])
        return lambda items: tuple(element(x) for x in items)
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        return _decoder(inner)
    return lambda value: value


def _unwrap(hint: Any) -> Any:
    """``X | None`` → ``X``."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint
