"""Production job events (topic ``jobs.v1``, keyed by ``job_id``)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from inventory_contracts.envelope import ContractModel, Envelope, unique_ids
from inventory_contracts.identifiers import Id
from inventory_contracts.limits import MAX_LINES_PER_DOCUMENT
from inventory_contracts.lines import ItemLine, Lines, TrackedLine, unique_serials
from inventory_contracts.quantities import Money

__all__ = [
    "CompletedLine",
    "ConsumedLine",
    "JobClosed",
    "JobClosedData",
    "JobLine",
    "JobMaterialsConsumed",
    "JobMaterialsConsumedData",
    "JobOpened",
    "JobOpenedData",
    "JobOutputCompleted",
    "JobOutputCompletedData",
]

_JOB_ID = "Id of the production job."


class JobLine(ItemLine):
    """A planned output or input of a job."""


class ConsumedLine(TrackedLine):
    """Materials taken from stock into a job."""

    input_line_id: Id | None = Field(
        default=None, description="`line_id` of the job's planned input consumed, if any."
    )


class CompletedLine(TrackedLine):
    """Finished goods a job put into stock."""

    output_line_id: Id | None = Field(
        default=None, description="`line_id` of the job's planned output completed, if any."
    )


class JobOpenedData(ContractModel):
    """A production job was planned: outputs it will make, inputs it will use."""

    job_id: Id = Field(description=_JOB_ID)
    outputs: Lines[JobLine] = Field(
        min_length=1,
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Planned outputs; line ids unique across outputs and inputs.",
    )
    inputs: Lines[JobLine] = Field(
        default=(),
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Planned inputs (materials); line ids unique across outputs and inputs.",
    )

    @model_validator(mode="after")
    def _unique_line_ids(self) -> Self:
        unique_ids("line_id", ("outputs", self.outputs), ("inputs", self.inputs))
        return self


class JobMaterialsConsumedData(ContractModel):
    """Materials were consumed by a job (``on_hand`` falls)."""

    job_id: Id = Field(description=_JOB_ID)
    lines: Lines[ConsumedLine] = Field(
        min_length=1,
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Consumed materials; `line_id` unique within the event.",
    )

    @model_validator(mode="after")
    def _lines_valid(self) -> Self:
        unique_ids("line_id", ("lines", self.lines))
        unique_serials("lines", self.lines)
        return self


class JobOutputCompletedData(ContractModel):
    """Finished goods of a job were completed (``on_hand`` rises)."""

    job_id: Id = Field(description=_JOB_ID)
    lines: Lines[CompletedLine] = Field(
        min_length=1,
        max_length=MAX_LINES_PER_DOCUMENT,
        description="Completed outputs; `line_id` unique within the event.",
    )

    @model_validator(mode="after")
    def _lines_valid(self) -> Self:
        unique_ids("line_id", ("lines", self.lines))
        unique_serials("lines", self.lines)
        return self


class JobClosedData(ContractModel):
    """A job was closed: nothing more is made or used; output costs become final."""

    job_id: Id = Field(description=_JOB_ID)
    additional_cost: Money | None = Field(
        default=None, description="Labour and overhead added to the cost of the job's outputs."
    )


class JobOpened(Envelope):
    """``job.opened``: outputs go on order, inputs become demand."""

    event_type: Literal["job.opened"] = Field(
        default="job.opened", description="Discriminator of this event type."
    )
    data: JobOpenedData = Field(description="The opened job.")


class JobMaterialsConsumed(Envelope):
    """``job.materials_consumed``: materials left stock for the job."""

    event_type: Literal["job.materials_consumed"] = Field(
        default="job.materials_consumed", description="Discriminator of this event type."
    )
    data: JobMaterialsConsumedData = Field(description="The consumed materials.")


class JobOutputCompleted(Envelope):
    """``job.output_completed``: finished goods entered stock."""

    event_type: Literal["job.output_completed"] = Field(
        default="job.output_completed", description="Discriminator of this event type."
    )
    data: JobOutputCompletedData = Field(description="The completed outputs.")


class JobClosed(Envelope):
    """``job.closed``: what is still planned is released."""

    event_type: Literal["job.closed"] = Field(
        default="job.closed", description="Discriminator of this event type."
    )
    data: JobClosedData = Field(description="The closed job.")
