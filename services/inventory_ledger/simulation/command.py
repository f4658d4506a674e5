"""``inventory-ledger simulate``: write a simulated business stream to a file or to Kafka."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..settings import Settings
from .config import SimulationConfig, TopicNames
from .jsonl import write_jsonl
from .kafka import publish
from .pacing import paced, progress_bar
from .parallel import write_jsonl_parallel
from .stream import generate

__all__ = ["simulate"]


def simulate(
    *,
    events: Annotated[
        int, typer.Option(min=0, help="Records to emit, duplicates and malformed included.")
    ] = 10_000,
    items: Annotated[
        int, typer.Option(min=4, help="Items in the catalog (about one in five is a kit).")
    ] = 50,
    locations: Annotated[
        int, typer.Option(min=1, max=26, help="Locations; the first is 'main'.")
    ] = 2,
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same stream.")] = 7,
    out: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write JSONL to this file ('-' or no target: stdout)."),
    ] = None,
    kafka: Annotated[
        str | None,
        typer.Option(metavar="BOOTSTRAP", help="Publish to Kafka at these bootstrap servers."),
    ] = None,
    rate: Annotated[
        float | None, typer.Option(min=0.001, help="Limit to this many records per second.")
    ] = None,
    duplicates: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Share of exact duplicate records, 0-0.5.")
    ] = 0.0,
    malformed: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Share of malformed records, 0-0.5.")
    ] = 0.0,
) -> None:
    """Generate a realistic, deterministic business stream (POs, receipts, bills, orders,
    shipments, returns, jobs, adjustments) interleaved across topics as Kafka delivers it.

    Topic names are the service's (INVENTORY_TOPIC_* settings), so the stream lands where
    the service consumes.
    """
    try:
        config = SimulationConfig(
            events=events,
            items=items,
            locations=locations,
            seed=seed,
            duplicates=duplicates,
            malformed=malformed,
            topics=TopicNames(*Settings().inbound_topics),
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    if kafka is not None:
        with progress_bar(events, f"kafka {kafka}") as advance:
            asyncio.run(publish(generate(config), kafka, rate=rate, progress=advance))
    if out is not None and str(out) != "-":
        with progress_bar(events, f"write {out}") as advance:
            if rate is None:  # one process per location; same bytes as the serial path
                write_jsonl_parallel(config, out, advance)
            else:  # small chunks, flushed, so that a reader can follow the file
                write_jsonl(paced(generate(config), rate), out, advance, _chunk(rate))
    elif kafka is None or out is not None:
        write_jsonl(paced(generate(config), rate), sys.stdout.buffer, chunk=_chunk(rate))


def _chunk(rate: float | None) -> int:
    """Lines per write: large when unpaced, about a fifth of a second's worth when paced."""
    return 2_000 if rate is None else max(1, min(2_000, int(rate / 5)))
