"""JSONL files of simulated records: one ``{"topic", "key", "value"}`` object per line.

A malformed record's raw bytes cannot be a JSON value, so it is stored base64-encoded under
``"value_b64"`` instead of ``"value"``; reading the file back gives the same records (the
``fault`` label is test metadata and is not stored).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import orjson

from .config import SimulatedMessage

__all__ = ["dump_line", "load_line", "read_jsonl", "write_jsonl", "write_lines"]

_CHUNK = 2_000


def dump_line(message: SimulatedMessage) -> bytes:
    """One JSONL line (with its newline) for a record."""
    if isinstance(message.value, bytes):
        record = {
            "topic": message.topic,
            "key": message.key,
            "value_b64": base64.b64encode(message.value).decode("ascii"),
        }
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
    return orjson.dumps(
        {"topic": message.topic, "key": message.key, "value": message.value},
        option=orjson.OPT_APPEND_NEWLINE,
    )


def write_jsonl(
    messages: Iterable[SimulatedMessage],
    out: Path | BinaryIO,
    progress: Callable[[int], None] | None = None,
    chunk: int = _CHUNK,
) -> int:
    """Write every record to ``out`` (a path, truncated, or an open binary file); the count.

    Lines are written and flushed ``chunk`` at a time; ``progress`` is called with the number
    of records written since its last call, after every chunk.
    """
    return write_lines(map(dump_line, messages), out, progress, chunk)


def write_lines(
    lines: Iterable[bytes],
    out: Path | BinaryIO,
    progress: Callable[[int], None] | None = None,
    chunk: int = _CHUNK,
) -> int:
    """Write already-encoded JSONL lines; the count (see :func:`write_jsonl`)."""
    if isinstance(out, Path):
        with out.open("wb") as file:
            return write_lines(lines, file, progress, chunk)
    count, pending = 0, []
    for line in lines:
        pending.append(line)
        if len(pending) >= chunk:
            count += _flush(out, pending, progress)
    return count + _flush(out, pending, progress)


def _flush(out: BinaryIO, pending: list[bytes], progress: Callable[[int], None] | None) -> int:
    written = len(pending)
    out.write(b"".join(pending))
    out.flush()
    pending.clear()
    if progress is not None:
        progress(written)
    return written


def load_line(line: bytes) -> SimulatedMessage:
    """The record of one JSONL line (``value`` or base64 ``value_b64``)."""
    record = orjson.loads(line)
    if "value_b64" in record:
        raw = base64.b64decode(record["value_b64"])
        return SimulatedMessage(record["topic"], record["key"], raw)
    return SimulatedMessage(record["topic"], record["key"], record["value"])


def read_jsonl(path: Path) -> Iterator[SimulatedMessage]:
    """The records of a JSONL file written by :func:`write_jsonl`, in file order."""
    with path.open("rb") as file:
        for line in file:
            if line.strip():
                yield load_line(line)
