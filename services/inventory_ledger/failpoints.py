"""Crash failpoints for the fault drills: die like ``kill -9`` at a named step.

Armed only by the environment, read once at import::

    INVENTORY_FAILPOINT=after_db_commit_before_ack        # the first time the step is reached
    INVENTORY_FAILPOINT=after_db_commit_before_ack@5      # the 5th time

When the named step is reached that many times the process ends at once with
``os._exit(137)``: no ``finally``, no offset commit, no flush, no graceful shutdown, exactly
what a SIGKILL leaves behind. Unset (production), :func:`hit` is one comparison.

Steps (where :func:`hit` is called):

* ``after_db_commit_before_ack`` — ``Ingestor.handle`` (adapters/kafka/consumer.py), after
  the batch's DB transaction committed and before the handler returns, i.e. before FastStream
  commits the offsets. The batch must be redelivered and absorbed by idempotency.
"""

from __future__ import annotations

import os
import sys

__all__ = ["EXIT_CODE", "hit"]

EXIT_CODE = 137
"""What a shell reports for a process killed by SIGKILL (128 + 9)."""


def _parse(spec: str | None) -> tuple[str, int] | None:
    if not spec:
        return None
    name, _, count = spec.partition("@")
    return name.strip(), max(1, int(count)) if count else 1


_ARMED = _parse(os.environ.get("INVENTORY_FAILPOINT"))
_hits = 0


def hit(step: str) -> None:
    """Die here (``os._exit(137)``) if the failpoint armed for ``step`` is due; else nothing."""
    global _hits  # noqa: PLW0603 - one counter per process, by design
    if _ARMED is None or _ARMED[0] != step:
        return
    _hits += 1
    if _hits >= _ARMED[1]:
        sys.stderr.write(f"failpoint {step}@{_hits}: exiting with {EXIT_CODE}\n")
        sys.stderr.flush()
        os._exit(EXIT_CODE)
