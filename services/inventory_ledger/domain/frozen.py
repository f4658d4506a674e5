"""Faster construction of the frozen, slotted dataclasses the cost fold makes per event.

A frozen dataclass's generated ``__init__`` sets each field with
``object.__setattr__(self, name, value)`` (the class's own ``__setattr__`` refuses), which
finds the field's slot by name on every call: about half the cost of making a moment, a
usage, an allocation row or a journal entry, and the fold makes several per event.
:func:`fast_init` gives such a class an ``__init__`` that calls each slot's member
descriptor directly instead. Everything else stays the dataclass's: the signature (names,
order, defaults, keyword-only fields), ``__post_init__``, and frozenness (``__setattr__``
and ``__delattr__`` still refuse).
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, TypeVar

__all__ = ["fast_init"]

_T = TypeVar("_T")


class _Factory:
    """The default of a field with a ``default_factory``: the factory is called for it."""

    def __repr__(self) -> str:
        return "<factory>"  # as the dataclass's own signature shows it


_FACTORY = _Factory()


def fast_init(cls: type[_T]) -> type[_T]:
    """Replace the ``__init__`` of ``cls`` (``@dataclass(frozen=True, slots=True)``)."""
    params = dataclasses.fields(cls)  # type: ignore[arg-type]
    if not getattr(cls, "__slots__", None) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__}: fast_init is for frozen, slotted dataclasses")
    declared = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    if declared != [field.name for field in params]:  # e.g. an InitVar: not supported
        raise TypeError(f"{cls.__name__}: its __init__ takes other than its fields")
    names: dict[str, Any] = {"_FACTORY": _FACTORY}
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    for field in params:
        if not field.init:
            raise TypeError(f"{cls.__name__}.{field.name}: init=False fields are not supported")
        name = field.name
        names[f"_set_{name}"] = cls.__dict__[name].__set__  # the slot's member descriptor
        if field.default is not dataclasses.MISSING:
            names[f"_default_{name}"] = field.default
            param = f"{name}=_default_{name}"
        elif field.default_factory is not dataclasses.MISSING:
            names[f"_factory_{name}"] = field.default_factory
            param = f"{name}=_FACTORY"
            body.append(f"    if {name} is _FACTORY: {name} = _factory_{name}()")
        else:
            param = name
        (keyword if field.kw_only else positional).append(param)
        body.append(f"    _set_{name}(self, {name})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    source = f"def __init__({signature}):\n" + "\n".join(body or ["    pass"]) + "\n"
    exec(source, names)  # noqa: S102 - generated from the class's own fields, as dataclasses does
    init = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
