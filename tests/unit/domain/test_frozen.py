"""fast_init: the same construction as the dataclass's own ``__init__``, only faster."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest

from inventory_ledger.domain.allocation import Allocation, GiveBack, ReturnLine, Supply
from inventory_ledger.domain.cogs import CogsEntry
from inventory_ledger.domain.cost_books import CostChanges
from inventory_ledger.domain.costing import LotCost
from inventory_ledger.domain.frozen import fast_init
from inventory_ledger.domain.lot import Lot, LotRecord
from inventory_ledger.domain.moment import Moment
from inventory_ledger.domain.serials import SerialMove
from inventory_ledger.domain.usage import Usage, UsageRecord

pytestmark = pytest.mark.unit


def _plain(fast: type) -> Any:
    """The same fields in a dataclass with its generated ``__init__`` (no fast_init)."""
    like: Any = field  # field()'s overloads do not take a Field's own attributes
    fields = [
        (
            f.name,
            f.type,
            like(default=f.default, default_factory=f.default_factory, kw_only=f.kw_only),
        )
        for f in dataclasses.fields(fast)
    ]
    return dataclasses.make_dataclass(fast.__name__, fields, frozen=True, slots=True)


@pytest.mark.parametrize(
    "cls",
    [
        Moment,
        Usage,
        UsageRecord,
        Lot,
        LotRecord,
        Supply,
        ReturnLine,
        Allocation,
        GiveBack,
        CogsEntry,
        LotCost,
        SerialMove,
        CostChanges,
    ],
)
def test_the_domain_classes_keep_their_dataclass_signature(cls: Any) -> None:
    fast = inspect.signature(cls.__init__)
    plain = inspect.signature(_plain(cls).__init__)
    assert [(p.name, p.kind, repr(p.default)) for p in fast.parameters.values()] == [
        (p.name, p.kind, repr(p.default)) for p in plain.parameters.values()
    ]


@fast_init
@dataclass(frozen=True, slots=True, order=True)
class _Sample:
    name: str
    qty: int = 1
    tags: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list, compare=False)
    flag: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        self.seen.append(self.name)


def test_fast_init_sets_fields_defaults_factories_and_runs_post_init() -> None:
    one, other = _Sample("a"), _Sample("a", 2, ["x"], flag=True)
    assert (one.name, one.qty, one.tags, one.seen, one.flag) == ("a", 1, [], ["a"], False)
    assert (other.qty, other.tags, other.flag) == (2, ["x"], True)
    assert one.tags is not _Sample("b").tags  # a fresh default per instance
    assert one == _Sample("a")
    assert one < other
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        _Sample("a", 1, [], [], True)  # type: ignore[call-arg]  # flag is keyword-only


def test_fast_init_refuses_classes_it_cannot_speed_up() -> None:
    @dataclass(slots=True)
    class Mutable:
        name: str

    @dataclass(frozen=True)
    class Unslotted:
        name: str

    @dataclass(frozen=True, slots=True)
    class WithInitVar:
        name: str
        extra: dataclasses.InitVar[int] = 0

    for cls in (Mutable, Unslotted, WithInitVar):
        with pytest.raises(TypeError):
            fast_init(cls)
