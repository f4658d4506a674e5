"""Contract events (``inventory_contracts``) → the domain's own event values.

The two sides use the same field names (contracts.md is normative for both); the domain
groups ``lic`` + ``location`` into an ``ItemKey``, and uses its own enums and tuples. The
mapping is derived once per event type, at import, from the domain dataclasses' type hints and
the contract models' fields, so adding a field to both sides needs no code here; a contract
field the domain lacks, or a domain field the contract cannot fill, fails loudly at import.

Every consumed event passes through here, so each event type gets one generated function (like
the ``__init__`` that ``dataclasses`` generates) with the attribute reads written out. It fills
the frozen, slotted domain dataclasses through their slots directly instead of calling
``__init__``, which for a frozen dataclass costs an ``object.__setattr__`` call per field: the
values are the same (every field is set, and equality, hashing and ``repr`` read only fields),
and a class this could short-cut (``__post_init__``, ``InitVar``, a field left out of
``__init__``, no slots) is built through ``__init__`` instead.

The item key, strings and decimals of an event go through ``domain.sharing``: the cost books
keep every lot and usage of history, and one instance per repeated value (the same item, line
number or quantity on event after event) keeps them smaller.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import itertools
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

from pydantic import BaseModel

from inventory_contracts import INBOUND_EVENTS, InboundEvent, parse_event_dict
from inventory_ledger.domain.events import Event
from inventory_ledger.domain.sharing import shared_decimal, shared_item, shared_text

__all__ = ["DOMAIN_EVENT_TYPES", "envelope_to_domain", "to_domain"]

DOMAIN_EVENT_TYPES: dict[str, Any] = {cls.event_type: cls for cls in typing.get_args(Event)}

_ENVELOPE_FIELDS: Final = ("event_id", "occurred_at")
_ITEM_PARTS: Final = ("lic", "location")


def _optional(share: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def shared(value: Any) -> Any:
        return None if value is None else share(value)

    return shared


_SHARED: Final[dict[Any, Callable[[Any], Any]]] = {
    Decimal: _optional(shared_decimal),
    str: _optional(shared_text),
}
"""Field types whose values the books keep one instance of per value (``domain.sharing``)."""


def to_domain(event: InboundEvent) -> Event:
    """The domain value of a parsed contract event."""
    return _BUILDERS[type(event)](event)


def envelope_to_domain(envelope: Mapping[str, Any]) -> Event:
    """Validate a decoded envelope against the contract and translate it (raises ContractError)."""
    return to_domain(parse_event_dict(dict(envelope)))


class _Writer:
    """Source of the builder functions of one event type, and the objects they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {"_new": object.__new__}
        self._names = itertools.count()

    def name(self, hint: str, value: object = None) -> str:
        """A fresh name for the generated code; bound to ``value`` unless that is None."""
        name = f"_{hint}_{next(self._names)}"
        if value is not None:
            self.namespace[name] = value
        return name

    def function(self, cls: Any, model: type[BaseModel], *, envelope: bool = False) -> str:
        """Define a function: ``model`` instance → ``cls`` instance; return its name."""
        body: list[str] = []
        values: dict[str, str] = {}
        source, source_model = "m", model
        if envelope:
            body.append("    data = m.data")
            values = {name: f"m.{name}" for name in _ENVELOPE_FIELDS}
            source, source_model = "data", _data_model(model)
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        for f in fields:
            if f.name not in values:
                values[f.name] = self._value(f.name, hints[f.name], source, source_model, body)
        _check_carried(cls, source_model, values)
        name = self.name(cls.__name__.lower())
        self.lines += [f"def {name}(m):", *body, *self._make("o", cls, values), "    return o"]
        return name

    def _make(self, var: str, cls: Any, values: dict[str, str]) -> list[str]:
        """Statements that bind ``var`` to ``cls(**values)`` (through its slots when exact)."""
        target = self.name("cls", cls)
        if not _slots_fill_exactly(cls):
            args = ", ".join(f"{field}={value}" for field, value in values.items())
            return [f"    {var} = {target}({args})"]
        lines = [f"    {var} = _new({target})"]
        for field, value in values.items():
            setter = self.name(f"set_{field}", getattr(cls, field).__set__)
            lines.append(f"    {setter}({var}, {value})")
        return lines

    def _value(
        self, name: str, hint: Any, source: str, model: type[BaseModel], body: list[str]
    ) -> str:
        """An expression for domain field ``name`` read from contract ``model`` at ``source``."""
        has = name in model.model_fields
        if name == "item":
            parts = ", ".join(f"{source}.{part}" for part in _ITEM_PARTS)
            return f"{self.name('item', shared_item)}({parts})"
        inner = _unwrap(hint)
        if isinstance(inner, type) and issubclass(inner, enum.Enum):
            convert = self.name(f"to_{inner.__name__}", _enum_converter(inner))
            return f"{convert}({source}.{name})" if has else "None"
        if typing.get_origin(inner) is tuple:
            if not has:
                return "()"
            element = typing.get_args(inner)[0]
            if dataclasses.is_dataclass(element):
                line = self.function(element, _line_model(model, name))
                return f"tuple([{line}(x) for x in {source}.{name} or ()])"
            return f"tuple({source}.{name} or ())"
        return self._scalar(f"{source}.{name}" if has else None, inner)

    def _scalar(self, read: str | None, kind: Any) -> str:
        """The expression for a plain field read by ``read`` (``None``: a field only one
        line kind has); the books' repeated value types go through ``domain.sharing``."""
        if read is None:
            return "None"
        if kind in _SHARED:
            return f"{self.name(f'shared_{kind.__name__}', _SHARED[kind])}({read})"
        return read

    def compile(self) -> dict[str, Any]:
        """Run the generated source; the namespace then holds the functions."""
        code = "\n".join(self.lines) + "\n"
        self.namespace["__source__"] = code
        exec(compile(code, "<contract_events>", "exec"), self.namespace)  # noqa: S102  # our own names
        return self.namespace


def _builder(model: type[BaseModel], cls: Any) -> Callable[[Any], Any]:
    """The generated function: contract event ``model`` → domain event ``cls``."""
    writer = _Writer()
    name = writer.function(cls, model, envelope=True)
    build: Callable[[Any], Any] = writer.compile()[name]
    return build


def _slots_fill_exactly(cls: Any) -> bool:
    """Whether setting every field's slot builds what ``cls(**fields)`` builds.

    True for a plain slotted dataclass: its ``__init__`` is the generated one taking exactly
    its fields and only stores them, there is no ``__post_init__`` and no custom ``__new__``.
    """
    names = [f.name for f in dataclasses.fields(cls)]
    init = cls.__init__
    return (
        not hasattr(cls, "__post_init__")
        and cls.__new__ is object.__new__
        and getattr(getattr(init, "__code__", None), "co_filename", None) == "<string>"
        and list(inspect.signature(init).parameters)[1:] == names
        and all(isinstance(getattr(cls, n, None), types.MemberDescriptorType) for n in names)
    )


def _data_model(model: type[BaseModel]) -> type[BaseModel]:
    found = _models_in(model.model_fields["data"].annotation)
    if len(found) != 1:
        raise ImportError(f"{model.__name__}.data: expected one model, found {found}")
    return found[0]


def _line_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """The model of the items of line list ``name`` of ``model``."""
    found = _models_in(model.model_fields[name].annotation)
    if len(found) != 1:
        raise ImportError(f"{model.__name__}.{name}: expected one line model, found {found}")
    return found[0]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _check_carried(cls: Any, model: type[BaseModel], values: dict[str, str]) -> None:
    """Every contract field reaches the domain value (``lic``/``location`` via ``item``)."""
    carried = set(values) | (set(_ITEM_PARTS) if "item" in values else set())
    lost = set(model.model_fields) - carried - {"event_type", "schema_version", "data"}
    if lost:
        raise ImportError(f"{cls.__name__} lacks contract fields of {model.__name__}: {lost}")


def _enum_converter(cls: type[enum.Enum]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        return cls(value.value if isinstance(value, enum.Enum) else value)

    return convert


def _unwrap(hint: Any) -> Any:
    """``X | None`` → ``X``."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint


def _builders() -> dict[type[BaseModel], Callable[[Any], Event]]:
    missing = set(INBOUND_EVENTS) - set(DOMAIN_EVENT_TYPES)
    if missing:
        raise ImportError(f"no domain event for contract event types: {sorted(missing)}")
    return {
        model: _builder(model, DOMAIN_EVENT_TYPES[event_type])
        for event_type, model in INBOUND_EVENTS.items()
    }


_BUILDERS: Final = _builders()
