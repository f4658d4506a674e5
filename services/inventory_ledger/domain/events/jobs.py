"""Events of ``jobs.v1``: production jobs that consume inputs and complete outputs."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from ..item import ItemKey
from .business_event import BusinessEvent

__all__ = [
    "CompletedLine",
    "ConsumedLine",
    "JobClosed",
    "JobLine",
    "JobOpened",
    "MaterialsConsumed",
    "OutputCompleted",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class JobLine:
    """A planned output or input of a job."""

    line_id: str
    item: ItemKey
    qty: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class JobOpened(BusinessEvent):
    """A job was opened: its outputs are on order, its inputs are demand."""

    event_type: ClassVar[str] = "job.opened"
    job_id: str
    outputs: tuple[JobLine, ...]
    inputs: tuple[JobLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumedLine:
    """Materials a job took from stock, optionally against one of its planned inputs."""

    line_id: str
    input_line_id: str | None = None
    item: ItemKey
    qty: Decimal
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MaterialsConsumed(BusinessEvent):
    """A job consumed materials from stock."""

    event_type: ClassVar[str] = "job.materials_consumed"
    job_id: str
    lines: tuple[ConsumedLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompletedLine:
    """Goods a job put into stock, optionally against one of its planned outputs."""

    line_id: str
    output_line_id: str | None = None
    item: ItemKey
    qty: Decimal
    mfr_lot: str | None = None
    serials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputCompleted(BusinessEvent):
    """A job completed (part of) its output into stock."""

    event_type: ClassVar[str] = "job.output_completed"
    job_id: str
    lines: tuple[CompletedLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class JobClosed(BusinessEvent):
    """A job was closed: what it did not make or consume is no longer expected.

    ``additional_cost`` (labour, overhead) is added to the cost of its outputs.
    """

    event_type: ClassVar[str] = "job.closed"
    job_id: str
    additional_cost: Decimal | None = None
