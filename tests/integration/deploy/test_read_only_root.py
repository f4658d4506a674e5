"""The service runs the way the image and the pods run it: read-only root, only /tmp writable.

No Docker engine here, so bubblewrap (``bwrap``) stands in for the container runtime: the
whole filesystem bind-mounted read-only, a private tmpfs on /tmp, cwd /tmp, a clean
environment with the image's variables. Against the real Kafka and Postgres: ``migrate`` as
the owner, ``run`` as the app role, then /healthz, /readyz, /metrics, the Dockerfile's own
HEALTHCHECK command, and SIGTERM → a clean exit well within ``shutdown_timeout_s``.

It runs as root inside the sandbox (this venv's interpreter lives under /root); the non-root
uid is the image's business (``USER 10001``, checked in tests/unit/deploy).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LedgerDatabase
from tests.infra import unique_name

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
SHUTDOWN_TIMEOUT_S = 30
BWRAP = shutil.which("bwrap")


def _image_env() -> dict[str, str]:
    """The runtime stage's ENV (PATH pointed at this venv instead of /opt/venv)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    final = text.rsplit("\nFROM ", 1)[1]
    env: dict[str, str] = {}
    for line in final.splitlines():
        if line.startswith("ENV "):
            env.update(pair.split("=", 1) for pair in line[4:].split())
    env["PATH"] = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    env.pop("VIRTUAL_ENV", None)
    return env


def _healthcheck() -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    match = re.search(r"^HEALTHCHECK .*? CMD (\[.*\])$", text, re.MULTILINE)
    assert match is not None
    argv: list[str] = json.loads(match[1])
    return argv


def _sandboxed(argv: list[str], env: dict[str, str], info: int | None = None) -> list[str]:
    assert BWRAP is not None
    box = [BWRAP, "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    # a checkout (and its venv) under /tmp, as on a fresh CI clone, must stay visible, read-only
    for kept in sorted({ROOT, Path(sys.prefix).resolve()}):
        if kept.is_relative_to("/tmp"):
            box += ["--ro-bind", str(kept), str(kept)]
    box += ["--die-with-parent", "--chdir", "/tmp", "--clearenv"]
    for name, value in env.items():
        box += ["--setenv", name, value]
    if info is not None:
        box += ["--info-fd", str(info)]
    return [*box, *argv]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def _wait_for(url: str, deadline_s: float) -> int:
    end = time.monotonic() + deadline_s
    status = 0
    while time.monotonic() < end:
        status, _ = _get(url)
        if status == 200:
            break
        time.sleep(0.3)
    return status


@pytest.fixture(scope="module")
def service_env(ledger_db: LedgerDatabase, kafka_bootstrap: str) -> dict[str, str]:
    """The variables a pod gets (ConfigMap + Secret), for a fresh database and topics."""
    prefix = unique_name("ro", "root").replace("_", "-")
    env = _image_env() | {
        "INVENTORY_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "INVENTORY_DATABASE_URL": ledger_db.app_dsn,
        "INVENTORY_CONSUMER_GROUP": prefix,
        "INVENTORY_HTTP_PORT": str(_free_port()),
        "INVENTORY_SHUTDOWN_TIMEOUT_S": str(SHUTDOWN_TIMEOUT_S),
    }
    for topic in ("purchasing", "sales", "shipping", "jobs", "adjustments"):
        env[f"INVENTORY_TOPIC_{topic.upper()}"] = f"{prefix}.{topic}"
    env["INVENTORY_TOPIC_BALANCE_CHANGED"] = f"{prefix}.balance-changed"
    env["INVENTORY_TOPIC_DEAD_LETTER"] = f"{prefix}.dead-letter"
    return env


@pytest.fixture(scope="module")
def running(service_env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``inventory-ledger run`` in the sandbox; yields the process and the service's pid."""
    read, write = os.pipe()
    process = subprocess.Popen(
        _sandboxed(["inventory-ledger", "run"], service_env, info=write),
        pass_fds=(write,),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    os.close(write)
    with os.fdopen(read) as info:
        child = int(json.loads(info.read())["child-pid"])  # bwrap closes it once written
    try:
        yield process, child
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.skipif(BWRAP is None, reason="needs bubblewrap (apt-get install bubblewrap)")
def test_migrate_needs_no_writable_root(database_url: str, app_role: str) -> None:
    """Against this module's fresh database: it applies the migrations (or finds them applied
    when the service's fixture ran first)."""
    env = _image_env() | {
        "INVENTORY_MIGRATION_DATABASE_URL": database_url,
        "INVENTORY_APP_ROLE": app_role,
    }
    done = subprocess.run(
        _sandboxed(["inventory-ledger", "migrate"], env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


@pytest.mark.skipif(BWRAP is None, reason="needs bubblewrap (apt-get install bubblewrap)")
def test_the_service_runs_probes_and_drains_on_a_read_only_root(
    running: tuple[subprocess.Popen[str], int], service_env: dict[str, str]
) -> None:
    process, child = running
    base = f"http://127.0.0.1:{service_env['INVENTORY_HTTP_PORT']}"
    assert _wait_for(f"{base}/healthz", 45) == 200
    assert _wait_for(f"{base}/readyz", 30) == 200
    status, metrics = _get(f"{base}/metrics")
    assert status == 200
    assert "# TYPE" in metrics

    check = subprocess.run(
        _sandboxed(_healthcheck(), service_env),
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert check.returncode == 0, check.stderr

    started = time.monotonic()
    os.kill(child, signal.SIGTERM)
    output, _ = process.communicate(timeout=SHUTDOWN_TIMEOUT_S + 10)
    assert process.returncode == 0, output[-2000:]
    assert time.monotonic() - started < SHUTDOWN_TIMEOUT_S
    assert not re.search(r"read-only file system|errno 30|permission denied", output, re.I)
