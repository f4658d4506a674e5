"""The real service as a subprocess (``inventory-ledger run``): its environment, its peak RSS,
an optional py-spy profile attached to it, and a graceful SIGTERM stop."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ServiceProcess",
    "backend_cpu",
    "cpu_seconds",
    "machine_busy",
    "peak_rss_mb",
    "py_spy",
    "summarize_profile",
]

CLI = Path(sys.executable).with_name("inventory-ledger")


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter or on PATH (``pip install py-spy``)."""
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a live process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each Postgres backend connected to ``database`` (by its process
    title, ``postgres: <role> <database> <client> <state>``)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        ours = len(title) > 2 and title[0] == b"postgres:" and title[2] == database.encode()
        if ours and (cpu := cpu_seconds(int(entry.name))) is not None:
            found[int(entry.name)] = cpu
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size of a live process, in MiB (VmHWM; psutil has no peak on Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class ServiceProcess:
    """One ``inventory-ledger run`` with the given ``INVENTORY_*`` settings."""

    env: dict[str, str]
    log: Path
    profile: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    spy: subprocess.Popen[bytes] | None = None
    peak_mb: float = 0.0
    cpu_s: float = 0.0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
        env |= self.env
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(CLI), "run"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started_at = time.perf_counter()
        spy = py_spy()
        if self.profile is not None and spy is not None:
            self.spy = subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(self.proc.pid),
                    "--rate",
                    "100",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--output",
                    str(self.profile),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
            )

    def sample(self) -> None:
        """Remember the peak RSS so far (call while it runs; VmHWM is gone once it exits)."""
        self.alive()
        assert self.proc is not None
        if (mb := peak_rss_mb(self.proc.pid)) is not None:
            self.peak_mb = max(self.peak_mb, mb)
        if (cpu := cpu_seconds(self.proc.pid)) is not None:
            self.cpu_s = cpu

    def alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"service exited with {self.proc.returncode}:\n{tail}")

    def stop(self, timeout_s: float = 60.0) -> None:
        """SIGTERM (drains the in-flight batch and the outbox), then wait; SIGKILL if stuck."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.sample()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.spy is not None:
            try:
                self.spy.wait(30)
            except subprocess.TimeoutExpired:
                self.spy.terminate()
                self.spy.wait(10)


@dataclass(frozen=True)
class ProfileSummary:
    samples: int
    startup_samples: int
    stages: list[tuple[str, float]]
    """Where the busy samples after startup were, share of them (indented: part of the row
    above it)."""
    self_top: list[tuple[str, float]]
    """Functions where those samples were (leaf frame), share of them."""


# Exclusive stages, first match wins (a marker anywhere on the stack), then the parts of the
# unit of work and of parsing (inclusive).
_STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("handler: parse records (contracts parse_event + to_domain)", ("split_records",)),
    ("handler: unit of work (apply_batch)", ("apply_batch",)),
    ("handler: rest (batch observer)", ("Ingestor.handle",)),
    (
        "FastStream loop: getmany, message wrapping, ack + offset commit",
        ("LogicSubscriber._run_consume_loop",),
    ),
    ("outbox relay (select, publish, mark)", ("OutboxRelay._run",)),
    (
        "aiokafka background tasks (fetcher, producer sender, group coordinator)",
        ("Fetcher", "Sender", "GroupCoordinator", "AIOKafkaConnection"),
    ),
    ("HTTP server and metrics gauges", ("HttpServer._serve", "Service._update_gauges")),
]
_PARTS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "handler: parse records (contracts parse_event + to_domain)": [
        ("  contract: parse_event (JSON + pydantic)", ("parse_event",)),
        ("  contract -> domain event (to_domain)", ("to_domain",)),
    ],
    "handler: unit of work (apply_batch)": [
        ("  pure posting (domain post)", ("post",)),
        ("  skip processed (fingerprint = sha256 of repr, fetch claims)", ("_skip_processed",)),
        ("  balance changes (per-item deltas, versions)", ("_balance_changes",)),
        ("  transactions rows (COPY or JSON for the combined writes)", ("append_transactions",)),
        ("  lock + decode document states", ("lock_documents",)),
        ("  encode + save document states", ("save_documents",)),
        ("  save balances + outbox payload JSON", ("save_balances",)),
        ("  claim processed events", ("claim",)),
        ("  cost: lock the log head, catch up from the log", ("CostTracker.begin",)),
        (
            "  cost: rule checks + facts per event (CostSession.apply)",
            ("CostSession.apply", "CostSession.apply_together"),
        ),
        (
            "  cost: re-allocate + settle costs once per batch (end_batch)",
            ("CostLedger.end_batch",),
        ),
        (
            "  cost: changed rows (take_dirty, lot/usage/allocation rows)",
            (
                "CostLedger.take_dirty",
                "CostLedger.lot_record",
                "CostLedger.usage_record",
                "CostLedger.allocation_rows",
            ),
        ),
        ("  cost: write log + rows + journal (save_costs)", ("save_costs",)),
        ("  cost: retry parked events", ("_cure_parked",)),
    ],
}


def _name(frame: str) -> str:
    return frame.partition(" (")[0]


def _has(names: list[str], markers: tuple[str, ...]) -> bool:
    return any(
        n == m or n.endswith("." + m) or n.startswith(m + ".") for n in names for m in markers
    )


def _where(frame: str) -> str:
    """``name (path/to/file.py:12)`` -> ``name (package/file.py)``."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({'/'.join(Path(path).parts[-2:])})"


def summarize_profile(raw: Path, top: int = 12) -> ProfileSummary | None:
    """Aggregate py-spy's raw output (one collapsed stack and its count per line)."""
    if not raw.exists():
        return None
    stage: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    total = startup = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        names = [_name(f) for f in frames]
        total += count
        if "_find_and_load" in names or "BaseEventLoop.run_forever" not in names:
            startup += count  # imports and setup before the loop runs
            continue
        leaf[_where(frames[-1])] += count
        label = next((lb for lb, marks in _STAGES if _has(names, marks)), None)
        label = label or "event loop, socket I/O, asyncpg protocol callbacks"
        stage[label] += count
        for part, marks in _PARTS.get(label, []):
            if _has(names, marks):
                stage[part] += count
    busy = total - startup
    if not busy:
        return None
    order = [lb for lb, _ in _STAGES] + ["event loop, socket I/O, asyncpg protocol callbacks"]
    shares = []
    for label in order:
        shares.append((label, stage[label] / busy))
        shares.extend((part, stage[part] / busy) for part, _ in _PARTS.get(label, []))
    return ProfileSummary(
        samples=total,
        startup_samples=startup,
        stages=shares,
        self_top=[(k, v / busy) for k, v in leaf.most_common(top)],
    )
