"""Helpers of the fault drills (tests/e2e/test_drills.py).

A stream and what a correct ledger makes of it, a fresh database per drill, the service as a
subprocess in its own process group, crafted poison records, and :func:`verify`: the one
check every drill ends with (reliability.md, "after every drill").
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord
from pydantic import SecretStr

from inventory_contracts import MAX_DEPTH, MAX_LINES_PER_DOCUMENT, MAX_MESSAGE_BYTES
from inventory_ledger.adapters.postgres.ledger_reads import reconcile_balances
from inventory_ledger.adapters.postgres.migrations import migrate
from inventory_ledger.application.apply_batch import BatchResult, Inbound
from inventory_ledger.application.dead_letter import DeadLetter
from inventory_ledger.domain.balance import Balance
from inventory_ledger.domain.books import Books
from inventory_ledger.domain.item import ItemKey
from inventory_ledger.local_stack.kafka import KafkaNode
from inventory_ledger.local_stack.paths import StackPaths
from inventory_ledger.local_stack.postgres import PostgresCluster
from inventory_ledger.local_stack.process import is_alive, port_open
from inventory_ledger.settings import LocalStackSettings, Settings
from inventory_ledger.simulation import SimulatedMessage, SimulationConfig, generate, valid_events
from tests.conftest import LedgerDatabase
from tests.e2e.support import (
    Topics,
    last_published,
    oracle,
    read_topic,
    service_settings,
    stored_balances,
    topics_for,
    versions_per_key,
)
from tests.infra import drop_database, unique_name, with_database

__all__ = [
    "BIG_MESSAGE_BYTES",
    "Counts",
    "DiskFull",
    "DrillRow",
    "PrivateKafka",
    "PrivatePostgres",
    "ServiceProcess",
    "Stream",
    "Tally",
    "applied_beyond_committed",
    "at_least",
    "committed_ahead_of_db",
    "counts",
    "create_drill_topics",
    "disk_full_once",
    "drill_settings",
    "extended",
    "fresh_database",
    "group_caught_up",
    "hold",
    "increases",
    "late_by_business_time",
    "poisoned",
    "prepare",
    "print_table",
    "printed_results",
    "processed_count",
    "publish_records",
    "resent",
    "settle",
    "settled",
    "simulated",
    "terminate_app_sessions",
    "until",
    "verify",
]

BIG_MESSAGE_BYTES = 4 * 1024 * 1024
"""max.message.bytes of the drill topics and max_request_size of the drill producer: room
for a ``too_large`` record (> MAX_MESSAGE_BYTES) and for its dead letter (base64, ~1.4x)."""

CLI = Path(sys.executable).with_name("inventory-ledger")


# --- the stream and its truth ---------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """Records to publish and what a correct ledger ends up with."""

    messages: list[SimulatedMessage]
    books: Books
    unique: int
    """Distinct valid event ids."""
    duplicates: int
    """Exact re-sends of an earlier event (same event_id, same content)."""
    letters: int
    """Dead letters a correct ledger records: malformed records, rejected events, conflicts."""
    poison: dict[str, int] = field(default_factory=dict)
    """Crafted poison records by the reason they must be dead-lettered with."""
    conflicts: int = 0
    """Crafted conflicting duplicates (same event_id, other content)."""

    @property
    def processed(self) -> int:
        return self.unique - len(self.books.rejected)

    @property
    def balances(self) -> dict[ItemKey, Balance]:
        return {item: b for item, b in self.books.balances.items() if not b.is_zero}


def _truth(
    messages: list[SimulatedMessage], conflicts: int = 0, poison: dict[str, int] | None = None
) -> Stream:
    books = oracle(messages)
    unique = len(list(valid_events(messages)))
    valid = len([m for m in messages if m.is_valid])
    malformed = len(messages) - valid
    rejected_sent = len(
        [m for m in messages if isinstance(m.value, dict) and m.value["event_id"] in books.rejected]
    )
    assert rejected_sent == len(books.rejected), "a rejected event is re-sent: ambiguous letters"
    return Stream(
        messages=messages,
        books=books,
        unique=unique,
        duplicates=valid - unique - conflicts,
        letters=malformed + len(books.rejected) + conflicts,
        poison=dict(poison or {}),
        conflicts=conflicts,
    )


def simulated(topics: Topics, events: int, seed: int, duplicates: float = 0.02) -> Stream:
    config = SimulationConfig(
        events=events, seed=seed, duplicates=duplicates, malformed=0.002, topics=topics.inbound
    )
    return _truth(list(generate(config)))


def _event_id() -> str:
    return str(uuid.uuid4())


def _raw(anchor: SimulatedMessage, value: bytes) -> SimulatedMessage:
    """A raw record on the anchor's topic and key: the same partition, right behind it."""
    return SimulatedMessage(anchor.topic, anchor.key, value)


def _envelope(anchor: SimulatedMessage) -> dict[str, Any]:
    assert isinstance(anchor.value, dict)
    copy: dict[str, Any] = orjson.loads(orjson.dumps(anchor.value))
    copy["event_id"] = _event_id()
    return copy


def _with_lines(value: dict[str, Any], count: int) -> dict[str, Any] | None:
    for name, lines in value["data"].items():
        if isinstance(lines, list) and lines and isinstance(lines[0], dict) and "qty" in lines[0]:
            template = {k: v for k, v in lines[0].items() if k != "serials"}
            value["data"][name] = [{**template, "line_id": str(i + 1)} for i in range(count)]
            return value
    return None


def _poison_of(reason: str, anchor: SimulatedMessage) -> SimulatedMessage:
    value = _envelope(anchor)
    if reason == "not_json":
        return _raw(anchor, b"<html><body>502 Bad Gateway</body></html>")
    if reason == "not_utf8":
        raw = orjson.dumps(value)
        at = raw.index(b'"event_type":"') + len(b'"event_type":"')
        return _raw(anchor, raw[:at] + b"\xff\xfe" + raw[at:])
    if reason == "too_large":
        value["data"]["padding"] = "x" * (MAX_MESSAGE_BYTES + 4096)
        return _raw(anchor, orjson.dumps(value))
    if reason == "too_deep":  # 20k deep (reliability.md): must not blow the parser's stack
        depth = max(20_000, MAX_DEPTH + 1)
        return _raw(anchor, b'{"event_id":"x","data":' + b"[" * depth + b"]" * depth + b"}")
    if reason == "schema":
        value["occurred_at"] = "yesterday afternoon"
        return _raw(anchor, orjson.dumps(value))
    if reason == "unknown_event_type":
        value["event_type"] = "inventory.teleported"
        return _raw(anchor, orjson.dumps(value))
    if reason == "unsupported_schema_version":
        value["schema_version"] = 99
        return _raw(anchor, orjson.dumps(value))
    if reason == "too_many_lines":
        lined = _with_lines(value, MAX_LINES_PER_DOCUMENT + 1)
        assert lined is not None
        return _raw(anchor, orjson.dumps(lined))
    if reason == "business_rule":
        # Two lines with one line_id: the domain's rule (Reason.DUPLICATE_LINE_ID) — which the
        # contract enforces first, so it arrives as a `schema` dead letter.
        lined = _with_lines(value, 2)
        assert lined is not None
        for lines in lined["data"].values():
            if isinstance(lines, list) and len(lines) == 2:
                lines[1]["line_id"] = lines[0]["line_id"]
                break
        return _raw(anchor, orjson.dumps(lined))
    raise ValueError(reason)


POISON_REASONS = {  # crafted kind → the reason its dead letter must carry
    "not_json": "not_json",
    "not_utf8": "not_utf8",
    "too_large": "too_large",
    "too_deep": "too_deep",
    "schema": "schema",
    "unknown_event_type": "unknown_event_type",
    "unsupported_schema_version": "unsupported_schema_version",
    "too_many_lines": "too_many_lines",
    "business_rule": "schema",
}


def poisoned(
    topics: Topics,
    events: int,
    seed: int,
    kinds: Iterable[str] = POISON_REASONS,
    copies: int = 2,
    conflicts: bool = True,
) -> Stream:
    """A simulated stream with ``copies`` of each poison kind and (``conflicts``) two
    conflicting duplicates (one in the same batch as its original, one far behind it), each
    right behind a valid event on the same topic and key, so that the valid events behind it
    share its partition."""
    kinds = list(kinds)
    config = SimulationConfig(events=events, seed=seed, duplicates=0.01, topics=topics.inbound)
    messages = list(generate(config))
    slots = len(kinds) * copies + 2
    step = len(messages) // (slots + 1)
    inserts: dict[int, list[SimulatedMessage]] = {}
    index = step
    reasons: Counter[str] = Counter()
    for kind in [k for k in kinds for _ in range(copies)]:
        while not isinstance(messages[index].value, dict) or (
            kind in {"too_many_lines", "business_rule"}
            and _with_lines(_envelope(messages[index]), 1) is None
        ):
            index += 1
        inserts.setdefault(index, []).append(_poison_of(kind, messages[index]))
        reasons[POISON_REASONS[kind]] += 1
        index += step
    # conflicting duplicates: the same event_id with other content, after the original
    for distance in (0, len(messages) // 3) if conflicts else ():
        while not isinstance(messages[index].value, dict) or index + distance >= len(messages):
            index = (index + 1) % len(messages)
        original = messages[index]
        assert isinstance(original.value, dict)
        changed = orjson.loads(orjson.dumps(original.value))
        changed["occurred_at"] = changed["occurred_at"].replace("+00:00", "+01:00")
        inserts.setdefault(index + distance, []).append(
            SimulatedMessage(original.topic, original.key, changed)
        )
        reasons["conflicting_duplicate"] += 1
        index = (index + step) % len(messages)
    out: list[SimulatedMessage] = []
    for i, message in enumerate(messages):
        out.append(message)
        out += inserts.get(i, [])
    return _truth(out, conflicts=2 if conflicts else 0, poison=dict(reasons))


def increases(messages: list[SimulatedMessage], count: int) -> list[SimulatedMessage]:
    """``count`` new valid ``increase`` adjustments (fresh ids), modelled on one of the stream."""
    template = next(
        m
        for m in messages
        if isinstance(m.value, dict)
        and m.value["event_type"] == "adjustment.posted"
        and m.value["data"]["kind"] == "increase"
    )
    out = []
    for n in range(1, count + 1):
        value = _envelope(template)
        value["data"]["adjustment_id"] = f"ADJ-99-{n:06d}"
        out.append(SimulatedMessage(template.topic, value["data"]["adjustment_id"], value))
    return out


def extended(stream: Stream, more: list[SimulatedMessage]) -> Stream:
    """``stream`` followed by ``more`` valid events (no new duplicates or conflicts)."""
    return _truth(stream.messages + more, conflicts=stream.conflicts, poison=stream.poison)


def resent(stream: Stream) -> list[SimulatedMessage]:
    """Every valid record of ``stream`` once more, unchanged (same topic, key and bytes), as an
    upstream producer replaying after an outage would: ``extended(stream, resent(stream))``
    counts them as exact duplicates. Rejected events are left out (they are dead-lettered, not
    claimed, so each copy would be another dead letter)."""
    return [
        m
        for m in stream.messages
        if isinstance(m.value, dict) and m.value["event_id"] not in stream.books.rejected
    ]


def late_by_business_time(messages: Iterable[SimulatedMessage]) -> int:
    """Valid records delivered after a record of a later business time (``occurred_at``)."""
    latest, late = "", 0
    for m in messages:
        if isinstance(m.value, dict):
            at = m.value["occurred_at"]  # ISO 8601, one offset: orders as text
            late += at < latest
            latest = max(latest, at)
    return late


# --- Kafka ----------------------------------------------------------------------------------


async def create_drill_topics(bootstrap: str, topics: Topics, partitions: int = 3) -> None:
    """Every topic of a drill, with room for one oversized record (``BIG_MESSAGE_BYTES``)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        names = [*topics.inbound.all(), topics.balance_changed, topics.dead_letter]
        config = {"max.message.bytes": str(BIG_MESSAGE_BYTES)}
        await admin.create_topics([NewTopic(n, partitions, 1, topic_configs=config) for n in names])
    finally:
        await admin.close()


async def publish_records(messages: Iterable[SimulatedMessage], bootstrap: str) -> int:
    """Send in order (one idempotent producer: per-partition order kept), oversized allowed."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=10,
        max_batch_size=256 * 1024,
        max_request_size=BIG_MESSAGE_BYTES,
    )
    await producer.start()
    sent = 0
    try:
        futures = []
        for m in messages:
            raw = m.value if isinstance(m.value, bytes) else orjson.dumps(m.value)
            futures.append(await producer.send(m.topic, value=raw, key=m.key.encode()))
            sent += 1
            if len(futures) >= 2000:
                await asyncio.gather(*futures)
                futures = []
        await producer.flush()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


async def prepare(
    bootstrap: str, topic: str, stream_of: Callable[[Topics], Stream], partitions: int = 3
) -> tuple[Topics, Stream]:
    """A drill's own topics, its stream made for them, and the stream published."""
    topics = topics_for(topic)
    await create_drill_topics(bootstrap, topics, partitions)
    stream = stream_of(topics)
    await publish_records(stream.messages, bootstrap)
    return topics, stream


async def _partitions(bootstrap: str, topics: Iterable[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]


async def _committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


async def _read_raw(
    bootstrap: str, ranges: dict[TopicPartition, int]
) -> list[ConsumerRecord[bytes, bytes]]:
    """Records ``[0, end)`` of each partition."""
    wanted = {tp: end for tp, end in ranges.items() if end > 0}
    if not wanted:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_bytes=BIG_MESSAGE_BYTES
    )
    await consumer.start()
    out: list[ConsumerRecord[bytes, bytes]] = []
    try:
        consumer.assign(list(wanted))
        await consumer.seek_to_beginning(*wanted)
        for tp, end in wanted.items():
            while await consumer.position(tp) < end:
                batch = await consumer.getmany(tp, timeout_ms=2000)
                out += [r for r in batch.get(tp, []) if r.offset < end]
    finally:
        await consumer.stop()
    return out


async def group_caught_up(bootstrap: str, group: str, topics: Topics) -> bool:
    """Whether ``group`` committed the end offset of every inbound partition."""
    partitions = await _partitions(bootstrap, topics.inbound.all())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    committed = await _committed(bootstrap, group)
    return all(committed.get(tp, 0) >= end for tp, end in ends.items())


async def committed_ahead_of_db(bootstrap: str, group: str, dsn: str) -> list[str]:
    """Records below the group's committed offsets that the DB has neither applied, nor
    parked (waiting for the event that cures it), nor dead-lettered: an offset committed
    before its batch's DB commit (must be empty)."""
    committed = await _committed(bootstrap, group)
    records = await _read_raw(bootstrap, committed)
    conn = await asyncpg.connect(dsn)
    try:
        processed = {
            r[0]
            for r in await conn.fetch(
                "SELECT event_id FROM processed_events UNION SELECT event_id FROM parked_events"
            )
        }
        letters = {
            (r[0], r[1], r[2])
            for r in await conn.fetch(
                "SELECT source_topic, source_partition, source_offset FROM dead_letters"
            )
        }
    finally:
        await conn.close()
    missing = []
    for r in records:
        if (r.topic, r.partition, r.offset) in letters:
            continue
        try:
            event_id = orjson.loads(r.value or b"")["event_id"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            event_id = None
        if event_id not in processed:
            missing.append(f"{r.topic}/{r.partition}@{r.offset} ({event_id})")
    return missing


async def applied_beyond_committed(bootstrap: str, group: str, topics: Topics, dsn: str) -> int:
    """Valid records at or after the group's committed offsets whose event the DB already
    applied: what a crash between the DB commit and the offset commit leaves to redeliver."""
    partitions = await _partitions(bootstrap, topics.inbound.all())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    committed = await _committed(bootstrap, group)
    records = await _read_raw(bootstrap, ends)
    conn = await asyncpg.connect(dsn)
    try:
        processed = {r[0] for r in await conn.fetch("SELECT event_id FROM processed_events")}
    finally:
        await conn.close()
    beyond = 0
    for r in records:
        if r.offset < committed.get(TopicPartition(r.topic, r.partition), 0):
            continue
        with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
            beyond += orjson.loads(r.value or b"")["event_id"] in processed
    return beyond


# --- Postgres -------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(
    server_dsn: str, app_role: str, hint: str
) -> AsyncIterator[LedgerDatabase]:
    """A new migrated database for one drill (dropped afterwards, sessions and all)."""
    name = unique_name("drill", hint)
    admin = await asyncpg.connect(server_dsn, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    owner = with_database(server_dsn, name)
    parts = urlsplit(owner)
    netloc = f"{app_role}:{app_role}@{parts.hostname}:{parts.port or 5432}"
    db = LedgerDatabase(owner, urlunsplit(parts._replace(netloc=netloc)))
    try:
        await migrate(owner, app_role=app_role)
        yield db
    finally:
        admin = await asyncpg.connect(server_dsn, timeout=10)
        try:
            left = await admin.fetch(
                "SELECT pid, usename, application_name, state, backend_start, query "
                "FROM pg_stat_activity WHERE datname = $1",
                name,
            )
            if left:  # the owner may not signal the app role's sessions: let the role do it
                print(f"\nsessions left on {name}: {[dict(r) for r in left]}")
                with contextlib.suppress(Exception):
                    await terminate_app_sessions(db.app_dsn)
        finally:
            await admin.close()
        await drop_database(server_dsn, name)


@dataclass(frozen=True)
class Counts:
    processed: int
    letters: int
    """Dead letters that stand: not cured (``replayed_at`` is set when a parked event, e.g. a
    serial shipped before its receipt arrived, is applied later; drills replay nothing else)."""
    letters_unsent: int
    outbox: int
    outbox_unsent: int
    transactions: int
    letters_all: int
    """Every dead-letter row, cured ones included: each is published to the topic."""
    parked: int
    """Events still waiting for the event that cures them."""


async def counts(dsn: str) -> Counts:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM processed_events) AS processed,
                      (SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL) AS letters,
                      (SELECT count(*) FROM dead_letters WHERE published_at IS NULL) AS l_unsent,
                      (SELECT count(*) FROM outbox) AS outbox,
                      (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS o_unsent,
                      (SELECT count(*) FROM transactions) AS transactions,
                      (SELECT count(*) FROM dead_letters) AS letters_all,
                      (SELECT count(*) FROM parked_events) AS parked"""
        )
    finally:
        await conn.close()
    assert row is not None
    return Counts(*row.values())


async def processed_count(dsn: str) -> int:
    return (await counts(dsn)).processed


async def at_least(dsn: str, n: int) -> bool:
    """Whether ``n`` events are processed (for :func:`until`)."""
    return await processed_count(dsn) >= n


_DISK_FULL = """
CREATE SEQUENCE drill_disk_full_hits;
CREATE FUNCTION drill_disk_full() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
BEGIN
  -- a sequence is not transactional: the count survives the rollback this raise causes
  -- (a flag row updated here would be rolled back with it, and the fault would repeat)
  IF nextval('drill_disk_full_hits') = 1 THEN
    RAISE EXCEPTION 'could not extend file: No space left on device (drill)'
      USING ERRCODE = 'disk_full';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER drill_disk_full AFTER INSERT ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION drill_disk_full();
"""


@dataclass(frozen=True)
class DiskFull:
    """The armed fault of :func:`disk_full_once`."""

    dsn: str

    async def hits(self) -> int:
        """Statements the trigger saw: the first failed with 53100, the others passed."""
        conn = await asyncpg.connect(self.dsn, timeout=10)
        try:
            row = await conn.fetchrow("SELECT last_value, is_called FROM drill_disk_full_hits")
        finally:
            await conn.close()
        assert row is not None
        return int(row["last_value"]) if row["is_called"] else 0


@contextlib.asynccontextmanager
async def disk_full_once(owner_dsn: str, table: str) -> AsyncIterator[DiskFull]:
    """Make the next INSERT statement on ``table`` (of any session, the app role's included)
    fail with SQLSTATE 53100 ``disk_full``, once: a statement trigger installed by the owner
    role, removed on exit."""
    conn = await asyncpg.connect(owner_dsn, timeout=10)
    try:
        await conn.execute(_DISK_FULL.format(table=table))
        try:
            yield DiskFull(owner_dsn)
        finally:
            await conn.execute(
                f"DROP TRIGGER drill_disk_full ON {table}; DROP FUNCTION drill_disk_full(); "
                "DROP SEQUENCE drill_disk_full_hits"
            )
    finally:
        await conn.close()


async def settled(dsn: str, stream: Stream) -> bool:
    c = await counts(dsn)
    return (c.processed, c.letters, c.parked, c.outbox_unsent, c.letters_unsent) == (
        stream.processed,
        stream.letters,
        0,
        0,
        0,
    )


async def settle(
    dsn: str, stream: Stream, within_s: float, alive: Callable[[], None] | None = None
) -> float:
    """Wait (bounded) until :func:`settled`; on timeout say what is missing."""
    try:
        return await until(lambda: settled(dsn, stream), within_s, "the stream to settle", alive)
    except AssertionError as exc:
        c = await counts(dsn)
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            standing = {
                r[0]: r[1]
                for r in await conn.fetch(
                    """SELECT reason, count(*) FROM dead_letters WHERE replayed_at IS NULL
                       GROUP BY reason ORDER BY reason"""
                )
            }
            parked = {
                r[0]: r[1]
                for r in await conn.fetch(
                    "SELECT reason, count(*) FROM parked_events GROUP BY reason"
                )
            }
        finally:
            await conn.close()
        raise AssertionError(
            f"{exc}: processed {c.processed}/{stream.processed}, dead letters "
            f"{c.letters}/{stream.letters} {standing} (+{c.letters_all - c.letters} cured), "
            f"parked {c.parked} {parked}, unpublished outbox {c.outbox_unsent}, unpublished "
            f"dead letters {c.letters_unsent}"
        ) from None


async def terminate_app_sessions(app_dsn: str) -> int:
    """pg_terminate_backend every other session of the app role on this database (a role may
    signal its own sessions, so no superuser is needed); how many were terminated."""
    conn = await asyncpg.connect(app_dsn, timeout=10)
    try:
        return int(
            await conn.fetchval(
                """SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
                   FROM pg_stat_activity
                   WHERE datname = current_database() AND usename = current_user
                     AND pid <> pg_backend_pid()"""
            )
        )
    finally:
        await conn.close()


# --- waiting --------------------------------------------------------------------------------


async def until(
    check: Callable[[], Awaitable[bool]],
    within_s: float,
    what: str,
    alive: Callable[[], None] | None = None,
) -> float:
    """Wait (bounded) until ``check()``; ``alive()`` may raise to fail fast. Seconds waited."""
    start = time.monotonic()
    while not await check():
        if alive is not None:
            alive()
        if time.monotonic() - start > within_s:
            raise AssertionError(f"timed out after {within_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)
    return time.monotonic() - start


async def hold(seconds: float, alive: Callable[[], None]) -> None:
    """Let ``seconds`` pass, calling ``alive()`` (which may raise, or restart a process)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        alive()
        await asyncio.sleep(0.1)


@dataclass
class Tally:
    """A ``BatchObserver`` for an in-process ``Service``: what its committed batches did."""

    batches: int = 0
    records: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    """Events a batch dead-lettered (a curable one is parked too, and may be applied later)."""

    def __call__(
        self,
        inbound: Sequence[Inbound],
        letters: Sequence[DeadLetter],
        result: BatchResult,
        _seconds: float,
    ) -> None:
        self.batches += 1
        self.records += len(inbound) + len(letters)
        self.applied += len(result.applied)
        self.duplicates += len(result.duplicates)
        self.rejected += len(result.rejected)


# --- the service as a subprocess ------------------------------------------------------------


def _free_port() -> int:
    return _free_ports(1)[0]


def _free_ports(n: int) -> list[int]:
    """``n`` distinct ports free right now (all bound at once, then released)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]


def drill_settings(
    bootstrap: str, db: LedgerDatabase, topics: Topics, **update: object
) -> Settings:
    """The service's settings for one drill: its topics, group and database."""
    return service_settings(bootstrap, db.app_dsn, topics).model_copy(update=update)


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``INVENTORY_*`` environment that makes ``Settings()`` equal ``settings``."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        env[f"INVENTORY_{name.upper()}"] = str(plain)
    return env


@dataclass
class ServiceProcess:
    """``inventory-ledger run`` in its own process group, logging to ``log``."""

    settings: Settings
    log: Path
    starts: int = 0
    proc: subprocess.Popen[bytes] | None = None
    exits: list[int] = field(default_factory=list)
    """Exit codes of the runs :meth:`restart_if_exited` found ended and started again."""

    def start(self, failpoint: str | None = None) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
        env |= settings_env(self.settings)
        env["INVENTORY_HTTP_PORT"] = str(_free_port())
        env["INVENTORY_LOG_FORMAT"] = "json"
        if failpoint:
            env["INVENTORY_FAILPOINT"] = failpoint
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts} (failpoint={failpoint}) ---\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [str(CLI), "run"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def alive(self) -> None:
        """Raise (with the log's tail) if the process ended unexpectedly."""
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(
                f"service exited with {self.proc.returncode}; log tail:\n{self.tail()}"
            )

    def restart_if_exited(self) -> None:
        """What a supervisor (systemd, Kubernetes) does: start the process again if it ended."""
        if self.proc is not None and self.proc.poll() is not None:
            self.exits.append(self.proc.returncode)
            self.start()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    async def exited(self, within_s: float) -> int:
        """Wait (bounded) for the process to end; its exit code."""
        assert self.proc is not None
        deadline = time.monotonic() + within_s
        while (code := self.proc.poll()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"service still running after {within_s:.0f}s")
            await asyncio.sleep(0.05)
        return code

    async def kill(self) -> None:
        """SIGKILL the whole process group and reap it."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        code = await self.exited(10)
        assert code == -signal.SIGKILL, code

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    def cleanup(self) -> None:
        if self.running:
            assert self.proc is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


# --- servers of a drill's own, which it may stop --------------------------------------------


@dataclass(frozen=True)
class PrivateKafka:
    """A Kafka node of its own (free ports, data under ``home``) that a drill may stop with
    SIGTERM or SIGKILL and start again on the same port and data dir (the local stack's
    :class:`KafkaNode`, with the jars it already resolved)."""

    node: KafkaNode

    @classmethod
    def at(cls, home: Path) -> PrivateKafka:
        port, controller = _free_ports(2)
        settings = LocalStackSettings(
            home=home, kafka_port=port, kafka_controller_port=controller, kafka_heap="384m"
        )
        return cls(KafkaNode(StackPaths.resolve(home), settings))

    @property
    def bootstrap(self) -> str:
        return self.node.bootstrap

    async def start(self) -> float:
        """Start and wait for a metadata round trip; the seconds it took."""
        began = time.monotonic()
        await asyncio.to_thread(self.node.start)
        return time.monotonic() - began

    async def stop(self) -> None:
        """SIGTERM: a controlled shutdown (the local stack's ``stop``)."""
        await asyncio.to_thread(self.node.stop)

    async def kill(self) -> None:
        """SIGKILL the broker's process group and reap it."""
        pid = self.node.pid()
        assert pid is not None, "the private broker is not running"
        os.killpg(pid, signal.SIGKILL)
        # The JVM's main thread shows as a zombie while its other threads still hold the
        # sockets: gone means reaped (it is our child) or, if not, not alive and port closed.
        deadline = time.monotonic() + 15
        while not self._gone(pid):
            assert time.monotonic() < deadline, f"broker {pid} survived SIGKILL"
            await asyncio.sleep(0.05)

    def _gone(self, pid: int) -> bool:
        try:
            return os.waitpid(pid, os.WNOHANG)[0] == pid
        except ChildProcessError:
            settings = self.node.settings
            return not is_alive(pid) and not port_open(settings.host, settings.kafka_port)

    def close(self) -> None:
        """Stop and delete the data."""
        self.node.stop()
        shutil.rmtree(self.node.home, ignore_errors=True)


@dataclass(frozen=True)
class PrivatePostgres:
    """A Postgres cluster of its own (a free port, files under ``home`` or the temp dir) that a
    drill may stop (``pg_ctl stop -m fast``) and start again (the local stack's
    :class:`PostgresCluster`)."""

    cluster: PostgresCluster

    @classmethod
    def at(cls, home: Path) -> PrivatePostgres:
        settings = LocalStackSettings(
            home=home,
            postgres_port=_free_port(),
            postgres_fsync=False,
            app_role="drill_app",
            app_password=SecretStr("drill_app"),
        )
        return cls(PostgresCluster(StackPaths.resolve(home), settings))

    @property
    def owner_dsn(self) -> str:
        """The owner role (CREATEDB) on the cluster's own database."""
        return self.cluster.dsn("owner")

    @property
    def app_role(self) -> str:
        """The app role; its password is its name (as :func:`fresh_database` expects)."""
        return self.cluster.settings.app_role

    async def start(self) -> float:
        """``pg_ctl start`` (roles and database ensured); the seconds it took."""
        began = time.monotonic()
        await asyncio.to_thread(self.cluster.start)
        conn = await asyncpg.connect(self.cluster.dsn("superuser"), timeout=10)
        try:  # membership lets DROP DATABASE ... WITH (FORCE) end the app role's sessions
            await conn.execute(f"GRANT {self.app_role} TO {self.cluster.settings.owner_role}")
        finally:
            await conn.close()
        return time.monotonic() - began

    async def stop(self) -> None:
        """``pg_ctl stop -m fast``: sessions terminated, a clean shutdown checkpoint."""
        await asyncio.to_thread(self.cluster.stop)

    def close(self) -> None:
        """Stop and delete the cluster's files."""
        self.cluster.stop()
        self.cluster.purge()


# --- the check every drill ends with, and the table -----------------------------------------


@dataclass
class DrillRow:
    drill: str
    events: int
    faults: str
    lost: int = 0
    double_counted: int = 0
    out_duplicates: int = 0
    relay_lag_s: float = 0.0
    seconds: float = 0.0
    outcome: str = "?"


RESULTS: list[DrillRow] = []


def print_table(rows: list[DrillRow]) -> str:
    head = (
        "drill",
        "events",
        "faults injected",
        "lost",
        "double",
        "dup out",
        "max lag",
        "s",
        "outcome",
    )
    body = [
        (
            r.drill,
            str(r.events),
            r.faults,
            str(r.lost),
            str(r.double_counted),
            str(r.out_duplicates),
            f"{r.relay_lag_s:.1f}s",
            f"{r.seconds:.1f}",
            r.outcome,
        )
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = [" | ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)) for row in [head]]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(lines)


@contextlib.contextmanager
def printed_results(title: str) -> Iterator[None]:
    """Around a test module: print the rows its drills added, and after a later module the
    rows of every drill of the run (so ``make drills`` ends with one whole table)."""
    first = len(RESULTS)
    yield
    mine = RESULTS[first:]
    if mine:
        print(f"\n\n{title}\n{print_table(mine)}\n")
    if mine and first:
        print(f"all fault drills of this run\n{print_table(RESULTS)}\n")


async def verify(
    bootstrap: str, db: LedgerDatabase, topics: Topics, stream: Stream, row: DrillRow
) -> None:
    """Every invariant of reliability.md on the converged state; fills ``row``, then asserts."""
    problems: list[str] = []
    c = await counts(db.owner_dsn)
    row.lost = max(0, stream.processed - c.processed)
    balances = await stored_balances(db.owner_dsn)
    if balances != stream.balances:
        wrong = {
            k
            for k in balances.keys() | stream.balances.keys()
            if balances.get(k) != stream.balances.get(k)
        }
        problems.append(
            f"balances differ from the oracle on {len(wrong)} items: {sorted(wrong)[:3]}"
        )
    if c.processed != stream.processed:
        problems.append(f"processed_events {c.processed} != {stream.processed}")
    if c.letters != stream.letters:
        problems.append(f"dead_letters {c.letters} != {stream.letters}")
    if c.parked:
        problems.append(f"{c.parked} events still parked")
    if c.outbox_unsent or c.letters_unsent:
        problems.append(f"unpublished: outbox {c.outbox_unsent}, dead letters {c.letters_unsent}")
    conn = await asyncpg.connect(db.owner_dsn)
    try:
        reconciliation = await reconcile_balances(conn)
        # An event applied twice has transactions from two DB transactions (two now()s); the
        # count itself is not comparable with the oracle's: postings depend on arrival order.
        twice = await conn.fetchval(
            """SELECT count(*) FROM (SELECT event_id FROM transactions GROUP BY event_id
                                     HAVING count(DISTINCT recorded_at) > 1) AS twice"""
        )
        unclaimed = await conn.fetchval(
            """SELECT count(DISTINCT event_id) FROM transactions t
               WHERE NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = t.event_id)"""
        )
        versions = {
            f"{r['location']}/{r['lic']}".encode(): r["version"]
            for r in await conn.fetch("SELECT location, lic, version FROM balances")
        }
        letter_reasons = Counter(r[0] for r in await conn.fetch("SELECT reason FROM dead_letters"))
        row.relay_lag_s = float(
            await conn.fetchval(
                "SELECT coalesce(extract(epoch FROM max(published_at - created_at)), 0) FROM outbox"
            )
        )
    finally:
        await conn.close()
    row.double_counted = twice + unclaimed
    if twice or unclaimed:
        problems.append(f"{twice} events applied by 2+ DB transactions, {unclaimed} unclaimed")
    if not reconciliation.ok:
        problems.append(f"reconciliation: {len(reconciliation.mismatches)} mismatches")

    out = await read_topic(bootstrap, topics.balance_changed)
    per_key = versions_per_key(out)
    pairs = Counter((k, v) for k, vs in per_key.items() for v in vs)
    row.out_duplicates = sum(n - 1 for n in pairs.values())
    if len(pairs) != c.outbox:
        problems.append(f"{len(pairs)} distinct (key, version) published, outbox has {c.outbox}")
    for key, vs in per_key.items():
        if vs != sorted(vs):
            problems.append(f"{key!r}: versions regress on the topic: {vs[:20]}")
        if sorted(set(vs)) != list(range(1, max(vs) + 1)):
            problems.append(f"{key!r}: version gap")
        if vs[-1] != versions.get(key):
            problems.append(f"{key!r}: last published v{vs[-1]}, DB v{versions.get(key)}")
    if last_published(out) != balances:
        problems.append("the last balance_changed per key is not the DB balance")
    if set(per_key) != {k for k, v in versions.items() if v > 0}:
        problems.append("keys on the topic != keys with a version in the DB")

    letters = await read_topic(bootstrap, topics.dead_letter)
    sources = {(v["source_topic"], v["source_partition"], v["source_offset"]) for _, v in letters}
    if len(sources) != c.letters_all:
        problems.append(f"{len(sources)} distinct dead letters on the topic, {c.letters_all} in DB")
    topic_reasons = Counter(
        v["reason"]
        for v in {
            (v["source_topic"], v["source_partition"], v["source_offset"]): v for _, v in letters
        }.values()
    )
    if topic_reasons != letter_reasons:
        problems.append(f"dead-letter reasons: topic {topic_reasons} != table {letter_reasons}")
    for reason, n in stream.poison.items():
        if letter_reasons[reason] < n:
            problems.append(f"{reason}: {letter_reasons[reason]} dead letters, crafted {n}")
    row.outcome = "ok" if not problems else f"FAIL ({len(problems)})"
    RESULTS.append(row)
    print(f"\n{print_table([row])}")
    assert not problems, "\n".join(problems[:20])
