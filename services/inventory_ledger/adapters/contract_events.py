"""Contract events (``inventory_contracts``) → the domain's own event values.

The two sides use the same field names (contracts.md is normative for both); the domain
groups ``lic`` + ``location`` into an ``ItemKey``, and uses its own enums and tuples. The
mapping is derived once per event type from the domain dataclasses' type hints, so adding a
field to both sides needs no code here, and a field the domain lacks fails loudly at import.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from inventory_contracts import INBOUND_EVENT_TYPES, InboundEvent, parse_event_dict
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.item import ItemKey

__all__ = ["DOMAIN_EVENT_TYPES", "envelope_to_domain", "to_domain"]

DOMAIN_EVENT_TYPES: dict[str, Any] = {cls.event_type: cls for cls in typing.get_args(Event)}

_Convert = Callable[[Any], Any]


def to_domain(event: InboundEvent) -> Event:
    """The domain value of a parsed contract event."""
    cls = DOMAIN_EVENT_TYPES[event.event_type]
    build = _builder(cls, skip=frozenset({"event_id", "occurred_at"}))
    result: Event = cls(event_id=event.event_id, occurred_at=event.occurred_at, **build(event.data))
    return result


@cache
def _builder(cls: Any, skip: frozenset[str] = frozenset()) -> Callable[[Any], dict[str, Any]]:
    """A function: contract model → keyword arguments of dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    plan: list[tuple[str, _Convert]] = [
        (f.name, _converter(f.name, hints[f.name]))
        for f in dataclasses.fields(cls)
        if f.name not in skip
    ]

    def build(model: Any) -> dict[str, Any]:
        return {name: convert(model) for name, convert in plan}

    return build


def _converter(name: str, hint: Any) -> _Convert:
    if name == "item":
        return lambda m: ItemKey(m.lic, m.location)
    inner = _unwrap(hint)
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        enum_cls = inner
        return lambda m: _maybe(getattr(m, name, None), enum_cls)
    if typing.get_origin(inner) is tuple:
        element = typing.get_args(inner)[0]
        if dataclasses.is_dataclass(element):
            line = _line(element)
            return lambda m: tuple(line(x) for x in getattr(m, name, None) or ())
        return lambda m: tuple(getattr(m, name, None) or ())
    return lambda m: getattr(m, name, None)  # a field only one line kind has: None


def _line(cls: Any) -> _Convert:
    build = _builder(cls)
    return lambda model: cls(**build(model))


def _unwrap(hint: Any) -> Any:
    """``X | None`` → ``X``."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint


def _maybe(value: Any, cls: type[enum.Enum]) -> Any:
    return None if value is None else cls(value.value if isinstance(value, enum.Enum) else value)


def _check_coverage() -> None:
    missing = set(INBOUND_EVENT_TYPES) - set(DOMAIN_EVENT_TYPES)
    if missing:
        raise ImportError(f"no domain event for contract event types: {sorted(missing)}")


_check_coverage()


def envelope_to_domain(envelope: Mapping[str, Any]) -> Event:
    """Validate a decoded envelope against the contract and translate it (raises ContractError)."""
    return to_domain(parse_event_dict(dict(envelope)))
