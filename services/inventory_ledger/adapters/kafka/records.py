"""Kafka records → what the unit of work takes: an event to apply, or a dead letter.

Nothing here raises for a bad message: bad bytes, a schema violation or an unknown type all
become a :class:`DeadLetter` with the contract's machine-readable reason, so one bad message
never stops the partition behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from inventory_contracts import ContractError, parse_event
from inventory_ledger.adapters.contract_events import to_domain
from inventory_ledger.application.apply_batch import Inbound
from inventory_ledger.application.dead_letter import DeadLetter, MessageSource

__all__ = ["KafkaRecord", "split_records"]

Headers = tuple[tuple[str, bytes | None], ...]


class KafkaRecord(Protocol):
    """The fields of aiokafka's ``ConsumerRecord`` this module reads."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


def split_records(records: Sequence[KafkaRecord]) -> tuple[list[Inbound], list[DeadLetter]]:
    """Parse every record: the valid ones to apply (in order), the rest as dead letters."""
    inbound: list[Inbound] = []
    letters: list[DeadLetter] = []
    for record in records:
        source = MessageSource(record.topic, record.partition, record.offset)
        value = record.value or b""
        raw_headers = record.headers
        headers: Headers = tuple((k, v) for k, v in raw_headers) if raw_headers else ()
        try:
            event = to_domain(parse_event(value))
        except ContractError as exc:
            letters.append(
                DeadLetter(
                    source=source,
                    key=record.key,
                    value=value,
                    headers=headers,
                    reason=exc.reason.value,
                    message=exc.message,
                )
            )
            continue
        inbound.append(Inbound(event, source=source, key=record.key, value=value, headers=headers))
    return inbound, letters
