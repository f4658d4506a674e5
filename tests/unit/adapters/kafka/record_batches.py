"""Record batches as the broker sends them, made with aiokafka's own builder."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.record.default_records import DefaultRecordBatchBuilder


def record_batch(timestamps: Sequence[int | None], value: bytes = b"v") -> bytes:
    """One batch of records at offsets 0, 1, ... with these timestamps (``None``: now)."""
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for offset, timestamp in enumerate(timestamps):
        builder.append(offset, timestamp=timestamp, key=b"k", value=value, headers=[])
    return bytes(builder.build())
