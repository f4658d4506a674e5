"""Production jobs: build kits from components.

opened (planned outputs and inputs) → materials consumed from stock, in one or two pulls,
waiting a little when components are short → outputs completed, as many as the consumed
materials allow (new production lots or serials) → closed, often with labour/overhead.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..amounts import money, qty
from ..catalog import Item
from ..engine import DAY, HOUR, Context, Process
from .lines import Line, fresh_goods, pick_lines

__all__ = ["production_job"]


@dataclass(slots=True)
class _Input:
    line_id: str
    item: Item
    per_unit: int
    planned: int
    consumed: int = 0


@dataclass(slots=True)
class _Output:
    line_id: str
    item: Item
    planned_units: int
    inputs: list[_Input]
    completed_units: int = 0


def _plan(ctx: Context, location: str) -> list[_Output]:
    rng = ctx.rng
    outputs: list[_Output] = []
    kits = (
        rng.sample(ctx.kits, k=2)
        if len(ctx.kits) > 1 and rng.random() < 0.15
        else [rng.choice(ctx.kits)]
    )
    n_inputs = len(kits)  # input line ids follow the output line ids
    for n, kit in enumerate(kits, start=1):
        units = rng.randint(1, 6)
        inputs = []
        for lic, per_unit in kit.components:
            n_inputs += 1
            inputs.append(_Input(str(n_inputs), ctx.by_lic[lic], per_unit, per_unit * units))
        outputs.append(_Output(str(n), kit, units, inputs))
    return outputs


def production_job(ctx: Context) -> Process:
    """One job from opening to closing."""
    rng, topic = ctx.rng, ctx.topics.jobs
    job_id, location = ctx.new_id("JOB"), ctx.location()
    outputs = _plan(ctx, location)

    def line(line_id: str, item: Item, milli: int) -> Line:
        return {"line_id": line_id, "lic": item.lic, "location": location, "qty": qty(milli)}

    data = {
        "job_id": job_id,
        "outputs": [line(o.line_id, o.item, o.planned_units * 1000) for o in outputs],
        "inputs": [line(i.line_id, i.item, i.planned) for o in outputs for i in o.inputs],
    }
    ctx.emit(topic, job_id, "job.opened", data)
    yield rng.uniform(2, 72) * HOUR
    inputs = [i for o in outputs for i in o.inputs]
    for pull in range(3):
        if _consume(ctx, job_id, location, inputs, first=pull == 0):
            break
        yield rng.uniform(4, 48) * HOUR
    yield rng.uniform(2, 24) * HOUR
    for partial in (True, False):
        if _complete(ctx, job_id, location, outputs, partial=partial):
            yield rng.uniform(1, 24) * HOUR
    closed: Line = {"job_id": job_id}
    if rng.random() < 0.6:
        closed["additional_cost"] = money(rng.randint(2_000, 60_000))
    yield rng.uniform(0.5, 3) * DAY
    ctx.emit(topic, job_id, "job.closed", closed)


def _consume(
    ctx: Context, job_id: str, location: str, inputs: list[_Input], *, first: bool
) -> bool:
    """Pull components from stock (the first pull often half); True once all are consumed."""
    lines: list[Line] = []
    for inp in inputs:
        want = inp.planned - inp.consumed
        if first and ctx.rng.random() < 0.4 and want > inp.item.step:
            want = want // 2 // inp.item.step * inp.item.step
        if want > 0:
            picks = ctx.stock.take(inp.item, location, want)
            inp.consumed += sum(p.milli for p in picks)
            lines += pick_lines(
                len(lines) + 1, inp.item, location, picks, input_line_id=inp.line_id
            )
    if first and ctx.rng.random() < 0.1:  # unplanned material: no input line to refer to
        extra = ctx.rng.choice(ctx.purchased)
        picks = ctx.stock.take(extra, location, extra.step * ctx.rng.randint(1, 3))
        lines += pick_lines(len(lines) + 1, extra, location, picks)
    if lines:
        data = {"job_id": job_id, "lines": lines}
        ctx.emit(ctx.topics.jobs, job_id, "job.materials_consumed", data)
    return all(i.consumed >= i.planned for i in inputs)


def _complete(
    ctx: Context, job_id: str, location: str, outputs: list[_Output], *, partial: bool
) -> bool:
    """Finish what the consumed materials allow (``partial``: maybe half); True if any."""
    lines: list[Line] = []
    for out in outputs:
        buildable = min(i.consumed // i.per_unit for i in out.inputs) - out.completed_units
        units = min(buildable, out.planned_units - out.completed_units)
        if partial and units > 1 and ctx.rng.random() < 0.3:
            units //= 2
        if units <= 0:
            continue
        out.completed_units += units
        made = fresh_goods(ctx, out.item, units * 1000, "P")
        lines += pick_lines(len(lines) + 1, out.item, location, made, output_line_id=out.line_id)
        for pick in made:
            ctx.stock.put(out.item, location, pick)
    if lines:
        data = {"job_id": job_id, "lines": lines}
        ctx.emit(ctx.topics.jobs, job_id, "job.output_completed", data)
    return bool(lines)
