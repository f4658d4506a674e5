"""The inbound subscriber's decoder runs on the event loop, not in FastStream's thread pool."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, cast

from faststream._internal.utils.functions import to_async

from inventory_ledger.adapters.kafka import consumer


def test_the_decoder_is_used_as_is_by_faststream() -> None:
    # FastStream wraps a plain function in run_in_threadpool: a thread hop per batch
    assert to_async(consumer._undecoded) is consumer._undecoded


async def test_the_decoder_hands_back_the_raw_records_on_the_loop_thread() -> None:
    records = (object(), object())
    seen: list[threading.Thread] = []

    class Message(SimpleNamespace):
        @property
        def raw_message(self) -> tuple[object, ...]:
            seen.append(threading.current_thread())
            return records

    decode = to_async(consumer._undecoded)
    assert await decode(cast(Any, Message())) is records
    assert seen == [threading.main_thread()]
