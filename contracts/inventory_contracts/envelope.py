"""The envelope every inbound and outbound event shares, and the base of every model.

Each event type subclasses :class:`Envelope`, narrowing ``event_type`` to a ``Literal`` (the
discriminator) and adding a typed ``data``. ``event_type`` and ``schema_version`` default to
the subclass's own values so Python producers need not repeat them, but they are required on
the wire (the parser dispatches on them and the JSON Schema lists them as required).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from inventory_contracts.identifiers import Id, Timestamp

__all__ = ["SCHEMA_VERSION", "ContractModel", "Envelope", "rule_error", "unique_ids"]

SCHEMA_VERSION: Final = 1
"""The one schema version this package implements; newer versions are rejected."""


def _require_envelope_fields(schema: dict[str, Any]) -> None:
    schema["required"] = sorted({*schema.get("required", ()), "event_type", "schema_version"})


def _integer(value: object) -> object:
    """``true`` and ``1.0`` equal 1 in Python; on the wire only the integer 1 is version 1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be the integer 1")  # noqa: TRY004  # pydantic wants ValueError
    return value


class ContractModel(BaseModel):
    """Frozen; unknown fields are ignored so producers may add fields before we read them."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        json_schema_serialization_defaults_required=True,
    )


class Envelope(ContractModel):
    """Fields common to every event; ``data`` is declared by each event type."""

    model_config = ConfigDict(json_schema_extra=_require_envelope_fields)

    event_id: Id = Field(
        description="Unique per event and stable across redeliveries: the idempotency key.",
    )
    event_type: str = Field(description="What happened; selects the shape of `data`.")
    schema_version: Annotated[Literal[1], BeforeValidator(_integer)] = Field(
        default=SCHEMA_VERSION,
        description="Version of this event type's schema; only 1 exists.",
    )
    occurred_at: Timestamp = Field(
        description="Business time of the event, RFC 3339 with a timezone offset.",
    )


def rule_error(path: str, message: str) -> PydanticCustomError:
    """A cross-field rule violation at ``path`` (relative to the model that checks it)."""
    return PydanticCustomError("contract_rule", "{path}: {rule}", {"path": path, "rule": message})


def unique_ids(field: str, *groups: tuple[str, Sequence[BaseModel]]) -> None:
    """Raise on the first ``field`` value that repeats across ``(list name, lines)`` groups.

    Line ids identify a line within its document (a later ``changed`` event or a receipt refers
    to them), so they must be unique across every line list of the document.
    """
    values = [getattr(line, field) for _, lines in groups for line in lines]
    if len(set(values)) == len(values):
        return  # the usual case, decided without naming every line
    seen: dict[object, str] = {}
    for name, lines in groups:
        for index, line in enumerate(lines):
            value = getattr(line, field)
            where = f"{name}[{index}].{field}"
            if value in seen:
                raise rule_error(where, f"duplicate id {value!r} (first at {seen[value]})")
            seen[value] = where
