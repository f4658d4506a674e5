"""The AsyncAPI 3.0 document of the contract, built from the models.

One channel per topic (addresses are the default topic names), one message per event type with
its Kafka key, payload schema and a valid example, and one operation per channel from the
service's point of view: it *receives* the five inbound topics and *sends* balance changes and
dead letters. Payload schemas are the models' JSON Schemas (validation mode for what the service
accepts, serialization mode for what it emits) under ``components.schemas``.
"""

from __future__ import annotations

import inspect
from typing import Any, Final, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from inventory_contracts.balance_changed import BalanceChanged
from inventory_contracts.dead_letter import DeadLetter
from inventory_contracts.errors import Reason
from inventory_contracts.examples import (
    BALANCE_CHANGED_EXAMPLE,
    DEAD_LETTER_EXAMPLE,
    INBOUND_EXAMPLES,
)
from inventory_contracts.inbound import INBOUND_EVENTS
from inventory_contracts.limits import MAX_DEPTH, MAX_LINES_PER_DOCUMENT, MAX_MESSAGE_BYTES
from inventory_contracts.topics import EVENT_KEY_FIELDS, EVENT_SOURCES, Source, Topics

__all__ = ["ASYNCAPI_VERSION", "asyncapi_document"]

ASYNCAPI_VERSION: Final = "3.0.0"
_REF: Final = "#/components/schemas/{model}"
_KAFKA_BINDING: Final = "0.5.0"
_DEAD_LETTER: Final = "dead_letter"

_CHANNELS: Final[dict[str, str]] = {
    Source.PURCHASING: "Purchase orders and vendor bills; key: the source document id.",
    Source.SALES: "Customer orders; key: `order_id`.",
    Source.SHIPPING: "Receipts, shipments and returns; key: `shipment_id`.",
    Source.JOBS: "Production jobs; key: `job_id`.",
    Source.ADJUSTMENTS: "Inventory adjustments; key: `adjustment_id`.",
    "balance_changed": "Every committed balance change, in version order per `{location}/{lic}`.",
    _DEAD_LETTER: "Messages that can never be processed, with their bytes and the reason.",
}


def _summary(model: type[BaseModel]) -> str:
    first = inspect.cleandoc(model.__doc__ or model.__name__).splitlines()[0]
    return first.replace("``", "`")


def _description() -> str:
    reasons = ", ".join(f"`{reason.value}`" for reason in Reason)
    return (
        "Wire contract (v1) of the inventory ledger service: what producers publish and what "
        "the service emits. JSON in UTF-8; decimals are JSON strings (or exact JSON numbers "
        f"inbound). Limits: {MAX_MESSAGE_BYTES} bytes per message, nesting depth {MAX_DEPTH}, "
        f"{MAX_LINES_PER_DOCUMENT} lines per list. Unknown fields are ignored. A message that "
        f"breaks the contract is dead-lettered with one of the reasons {reasons}."
    )


def _message(
    name: str, model: type[BaseModel], key: str, example: Any, schema_ref: str
) -> dict[str, Any]:
    return {
        "name": name,
        "title": model.__name__,
        "summary": _summary(model),
        "contentType": "application/json",
        "payload": {"$ref": schema_ref},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": key},
                "bindingVersion": _KAFKA_BINDING,
            }
        },
        "examples": [{"name": f"{name} example", "payload": example}],
    }


def asyncapi_document(topics: Topics | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0 document as a JSON-ready dict (deterministic)."""
    topics = topics or Topics()
    modes: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (model, "validation") for model in INBOUND_EVENTS.values()
    ]
    modes += [(BalanceChanged, "serialization"), (DeadLetter, "serialization")]
    refs, definitions = models_json_schema(modes, ref_template=_REF)

    messages: dict[str, dict[str, Any]] = {}
    by_channel: dict[str, list[str]] = {name: [] for name in _CHANNELS}
    for event_type, model in INBOUND_EVENTS.items():
        key = f"`data.{EVENT_KEY_FIELDS[event_type]}`"
        ref = refs[(model, "validation")]["$ref"]
        messages[event_type] = _message(event_type, model, key, INBOUND_EXAMPLES[event_type], ref)
        by_channel[EVENT_SOURCES[event_type]].append(event_type)
    messages["inventory.balance_changed"] = _message(
        "inventory.balance_changed",
        BalanceChanged,
        "`{data.location}/{data.lic}`",
        dict(BALANCE_CHANGED_EXAMPLE),
        refs[(BalanceChanged, "serialization")]["$ref"],
    )
    by_channel["balance_changed"].append("inventory.balance_changed")
    messages[_DEAD_LETTER] = _message(
        _DEAD_LETTER,
        DeadLetter,
        "The rejected message's key, unchanged.",
        dict(DEAD_LETTER_EXAMPLE),
        refs[(DeadLetter, "serialization")]["$ref"],
    )
    by_channel[_DEAD_LETTER].append(_DEAD_LETTER)

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for channel, description in _CHANNELS.items():
        names = by_channel[channel]
        channels[channel] = {
            "address": getattr(topics, channel),
            "description": f"{description} Address configurable; this is the default.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        }
        inbound = channel in set(Source)
        operations[f"{'receive' if inbound else 'send'}_{channel}"] = {
            "action": "receive" if inbound else "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": ("The service consumes " if inbound else "The service publishes ")
            + f"`{getattr(topics, channel)}`.",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in names],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Inventory ledger events",
            "version": "1.0.0",
            "description": _description(),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": definitions["$defs"]},
    }
