"""Deliberate faults: exact duplicates (at-least-once redelivery) and malformed messages.

Each output slot is drawn without replacement from the remaining counts of valid, duplicate
and malformed messages, so a run has exactly the requested shares (rounded) at random
positions. A duplicate re-sends an earlier valid record unchanged (same topic, key, value and
``event_id``). A malformed message is raw bytes derived from a recent valid event and breaks
exactly one rule, named by its ``fault``; it always has a fresh ``event_id`` where it has one.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import orjson

from .config import Envelope, Fault, SimulatedMessage

__all__ = ["inject_faults", "malformed_message"]

_T = TypeVar("_T")

_HISTORY = 2_000
_DEFAULT_BASE: Envelope = {
    "event_id": "00000000-0000-4000-8000-000000000000",
    "event_type": "order.cancelled",
    "schema_version": 1,
    "occurred_at": "2026-01-05T08:00:00+00:00",
    "data": {"order_id": "SO-01-000000"},
}


def _first_goods_line(data: dict[str, Any]) -> dict[str, Any] | None:
    for value in data.values():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "qty" in value[0]:
            line: dict[str, Any] = value[0]
            return line
    return None


_BAD_QTY = {"negative_qty": "-3", "seven_dp": "1.0000001", "nan_qty": "NaN", "zero_qty": "0"}
_BAD_ENVELOPE: dict[str, tuple[str, object]] = {
    "bad_time": ("occurred_at", "yesterday afternoon"),
    "empty_id": ("event_id", ""),
    "version_text": ("schema_version", "one"),
}


def _schema_violation(rng: random.Random, envelope: Envelope) -> bytes:
    """One rule of contracts.md broken; the rest of the event stays valid."""
    line = _first_goods_line(envelope["data"])
    choices = ["naive_time", "no_data", *_BAD_ENVELOPE]
    if line is not None:
        choices += [*_BAD_QTY, "no_lic" if "lic" in line else "no_qty"]
    broken = rng.choice(choices)
    if line is not None and broken in _BAD_QTY:
        line["qty"] = _BAD_QTY[broken]
    elif line is not None and broken in {"no_lic", "no_qty"}:
        del line[broken.removeprefix("no_")]
    elif broken == "naive_time":
        envelope["occurred_at"] = envelope["occurred_at"].removesuffix("+00:00")
    elif broken == "no_data":
        del envelope["data"]
    else:
        field, value = _BAD_ENVELOPE[broken]
        envelope[field] = value
    return orjson.dumps(envelope)


def _malformed(rng: random.Random, base: Envelope) -> tuple[Fault, bytes]:
    envelope: Envelope = orjson.loads(orjson.dumps(base))  # a deep copy we may break
    envelope["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    fault: Fault = rng.choice(
        ("not_json", "not_utf8", "schema", "unknown_event_type", "unsupported_schema_version")
    )
    if fault == "not_json":
        raw = orjson.dumps(envelope)
        cut = rng.choice(
            (raw[: len(raw) // 2], b"<html><body>502 Bad Gateway</body></html>", b"null\x00")
        )
        return fault, cut
    if fault == "not_utf8":
        raw = orjson.dumps(envelope)
        at = raw.index(b'"event_type":"') + len(b'"event_type":"')
        return fault, raw[:at] + b"\xff\xfe" + raw[at:]
    if fault == "unknown_event_type":
        envelope["event_type"] = rng.choice(("purchase_order.reopened", "inventory.teleported"))
    elif fault == "unsupported_schema_version":
        envelope["schema_version"] = rng.choice((2, 99))
    else:
        return fault, _schema_violation(rng, envelope)
    return fault, orjson.dumps(envelope)


def inject_faults(
    valid: Iterator[_T],
    rng: random.Random,
    total: int,
    duplicates: int,
    malformed: int,
    *,
    duplicate: Callable[[_T], _T],
    malform: Callable[[random.Random, _T | None], _T],
) -> Iterator[_T]:
    """``total`` records: ``duplicates`` and ``malformed`` faults among fresh valid ones.

    Generic over the record so that the same draws give the same stream whether records are
    messages (:func:`~.stream.generate`) or already-encoded JSONL lines (:mod:`.parallel`):
    ``duplicate`` re-sends a record, ``malform`` derives a broken one from the last valid one.
    """
    history: deque[_T] = deque(maxlen=_HISTORY)
    fresh = total - duplicates - malformed
    for remaining in range(total, 0, -1):
        slot = rng.randrange(remaining)
        if slot < duplicates and history:
            duplicates -= 1
            yield duplicate(history[rng.randrange(len(history))])
        elif duplicates <= slot < duplicates + malformed or (slot < duplicates and not fresh):
            if slot < duplicates:  # a duplicate was due before anything valid existed
                duplicates -= 1
            else:
                malformed -= 1
            yield malform(rng, history[-1] if history else None)
        else:  # a fresh event (also when a duplicate is due but nothing was sent yet)
            fresh -= 1
            record = next(valid)
            history.append(record)
            yield record


def malformed_message(rng: random.Random, base: SimulatedMessage | None) -> SimulatedMessage:
    """A malformed record derived from ``base`` (same topic and key), or from a stock event."""
    if base is None or not isinstance(base.value, dict):
        fault, raw = _malformed(rng, _DEFAULT_BASE)
        return SimulatedMessage("sales.v1", "SO-01-000000", raw, fault)
    fault, raw = _malformed(rng, base.value)
    return SimulatedMessage(base.topic, base.key, raw, fault)
