"""The dead-letter record (topic ``inventory.dead-letter.v1``, keyed by the rejected key).

A rejected message is kept byte for byte (base64 in JSON) with where it came from and why, so
it can be listed, fixed and replayed. ``reason`` is a :class:`~inventory_contracts.Reason` when
the message broke the contract, or a business-rule code of the service (e.g.
``serial_not_in_stock``) when it was well formed but could not be applied.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, PlainValidator, StringConstraints, WithJsonSchema

from inventory_contracts.envelope import SCHEMA_VERSION, ContractModel
from inventory_contracts.identifiers import Timestamp

__all__ = ["DeadLetter", "DeadLetterHeader"]


def _from_base64(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError("must be base64 (RFC 4648, standard alphabet, padded)") from None
    raise ValueError("must be a base64 string")  # pydantic wants ValueError, not TypeError


def _to_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


Base64Bytes = Annotated[
    bytes,
    PlainValidator(_from_base64),
    PlainSerializer(_to_base64, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]
"""Raw bytes; base64 (standard alphabet, padded) in JSON."""

ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class DeadLetterHeader(ContractModel):
    """One Kafka header of the rejected message, in its original order."""

    key: str = Field(description="Header name.")
    value: Base64Bytes | None = Field(description="Header value, base64; null if it had none.")


class DeadLetter(ContractModel):
    """A message that can never be processed, and why."""

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="Version of the dead-letter record's schema."
    )
    reason: ReasonCode = Field(
        description="Machine-readable reason: a contract `Reason` or a business-rule code."
    )
    message: str = Field(
        max_length=10_000, description="What is wrong, for people; names the offending field."
    )
    source_topic: str = Field(description="Topic the message was consumed from.")
    source_partition: int = Field(ge=0, description="Partition it was consumed from.")
    source_offset: int = Field(ge=0, description="Offset of the message in that partition.")
    key: Base64Bytes | None = Field(description="The message's key, base64; null if none.")
    value: Base64Bytes = Field(description="The message's value, byte for byte, base64.")
    headers: tuple[DeadLetterHeader, ...] = Field(
        default=(), description="The message's Kafka headers, in order."
    )
    event_id: str | None = Field(
        default=None, description="`event_id` of the message, if it could be read."
    )
    event_type: str | None = Field(
        default=None, description="`event_type` of the message, if it could be read."
    )
    rejected_at: Timestamp = Field(description="When the service rejected it (wall clock).")
