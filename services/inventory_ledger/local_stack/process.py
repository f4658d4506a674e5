"""Small process helpers: detached start, pid files, port checks, waits with deadlines."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from inventory_ledger.local_stack.errors import StackError

__all__ = [
    "blocking",
    "is_alive",
    "port_open",
    "read_pid",
    "require_free_port",
    "run",
    "start_detached",
    "stop_group",
    "wait_until",
]


_T = TypeVar("_T")


def blocking(make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion from sync code, even when an event loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def run(argv: Sequence[str], *, what: str, timeout: float = 300.0) -> str:
    """Run a command to completion; on failure raise with its output, never hang."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise StackError(f"{what}: {argv[0]} not found ({exc})") from exc
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"{what}: timed out after {timeout:.0f}s: {' '.join(argv)}") from exc
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip()[-4000:]
        raise StackError(f"{what} failed (exit {done.returncode}): {' '.join(argv)}\n{tail}")
    return done.stdout


def start_detached(argv: Sequence[str], *, log: Path, env: dict[str, str] | None = None) -> int:
    """Start a long-running process in its own session (so ``down`` can stop its group)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    return proc.pid


def read_pid(path: Path) -> int | None:
    """The pid in a pid file (first line), or None when absent or unreadable."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def is_alive(pid: int | None) -> bool:
    """Whether a process exists and is not a zombie."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def stop_group(pid: int, *, grace: float = 30.0) -> None:
    """SIGTERM the process group of ``pid``; SIGKILL whatever is left after ``grace``."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        if wait_until(lambda: not is_alive(pid), timeout=wait, interval=0.2):
            _reap(pid)
            return
    raise StackError(f"process {pid} did not stop after SIGKILL")


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_free_port(host: str, port: int, what: str) -> None:
    """Fail with a clear message when another program already listens on the port."""
    if port_open(host, port):
        raise StackError(
            f"{what}: port {host}:{port} is already taken by another program; "
            f"stop it or choose another port (see `inventory-ledger stack up --help`)"
        )


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.5) -> bool:
    """Poll ``check`` until it is true or ``timeout`` seconds pass; never sleeps past it."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(interval, left))
