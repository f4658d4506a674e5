"""The image's Dockerfile: hadolint clean, and the rules the platform relies on.

No Docker engine runs in CI, so the image is never built here; these checks are what can
be proven offline. (Building it needs an engine: ``docker build -f deploy/docker/Dockerfile .``)
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from inventory_ledger.settings import Settings
from tests.unit.deploy.dockerfile import Stage, stages
from tests.unit.deploy.support import DEPLOY, ROOT, hadolint

pytestmark = pytest.mark.unit

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
BUILD_TOOLS = re.compile(
    r"\b(build-essential|gcc|g\+\+|clang|make|cmake|libpq-dev|python3?-dev|git|curl|wget)\b"
)
NON_ROOT_UID = "10001"  # the pods' runAsUser (test_pod_contract checks that side)


def _lint(path: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [
            str(hadolint()),
            "--no-color",
            "--format",
            "json",
            "--failure-threshold",
            "style",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    findings: list[dict[str, object]] = json.loads(done.stdout or "[]")
    return findings


def _final() -> Stage:
    return stages(DOCKERFILE)[1][-1]


def _exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"not exec form: {arguments}"
    return [str(v) for v in value]


def test_hadolint_finds_nothing() -> None:
    assert _lint(DOCKERFILE) == []


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y gcc\nUSER root\n")
    codes = {finding["code"] for finding in _lint(bad)}
    assert {"DL3007", "DL3008", "DL3002"} <= codes


def test_multi_stage_on_python_3_11_slim() -> None:
    _, found = stages(DOCKERFILE)
    assert len(found) >= 2
    assert all(re.fullmatch(r"python:3\.11-slim(-[a-z]+)?", s.base) for s in found)
    final = found[-1]
    copies = [i.arguments for i in final.all("COPY")]
    builder = found[0].name
    assert copies == [f"--from={builder} /opt/venv /opt/venv"]  # only the built venv


def test_the_final_stage_has_no_build_tools_and_installs_nothing() -> None:
    for run in _final().all("RUN"):
        assert not re.search(r"\b(apt-get|apt|apk)\b.*\binstall\b", run.arguments), run
        assert not re.search(r"\bpip\b.*\binstall\b", run.arguments), run
        assert not BUILD_TOOLS.search(run.arguments), run


def test_the_image_runs_as_a_fixed_non_root_user() -> None:
    users = _final().all("USER")
    assert users, "no USER in the final stage"
    user = users[-1].arguments.split(":")[0]
    assert user == NON_ROOT_UID  # numeric, so runAsNonRoot can verify it
    after = _final().instructions[_final().instructions.index(users[-1]) :]
    assert not [i for i in after if i.keyword == "RUN"], "RUN after USER runs as the user anyway"


def test_nothing_is_written_outside_tmp() -> None:
    env = " ".join(i.arguments for i in _final().all("ENV"))
    assert "PYTHONDONTWRITEBYTECODE=1" in env  # no __pycache__ writes on a read-only root
    assert "TMPDIR=/tmp" in env
    assert "INVENTORY_HTTP_HOST=0.0.0.0" in env  # reachable from outside the container
    assert [i.arguments for i in _final().all("WORKDIR")] == ["/tmp"]
    assert not _final().all("VOLUME")


def test_entrypoint_cmd_and_healthcheck() -> None:
    final = _final()
    assert _exec_form(final.all("ENTRYPOINT")[-1].arguments) == ["inventory-ledger"]
    assert _exec_form(final.all("CMD")[-1].arguments) == ["run"]
    (check,) = final.all("HEALTHCHECK")
    command = check.arguments.split(" CMD ", 1)[1]
    argv = _exec_form(command)
    assert argv[0] == "python"  # the standard library, no curl in the image
    assert "/healthz" in argv[-1]
    assert "INVENTORY_HTTP_PORT" in argv[-1]
    default = re.search(r"'INVENTORY_HTTP_PORT', '(\d+)'", argv[-1])
    assert default is not None
    assert int(default[1]) == Settings.model_fields["http_port"].default
    assert [i.arguments for i in final.all("EXPOSE")] == [str(Settings().http_port)]


def test_dependencies_come_from_pyproject() -> None:
    builder = stages(DOCKERFILE)[1][0]
    runs = [i for i in builder.all("RUN") if "pip install" in i.arguments]
    assert any("tomllib" in i.heredoc and "pyproject.toml" in i.heredoc for i in runs)
    assert any("--only-binary=:all:" in i.arguments for i in runs)  # no compiler needed


def _ignored(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last matching pattern wins; ``!`` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        if Path(path).match(glob) or path == glob or path.startswith(glob + "/"):
            ignored = not negate
    return ignored


def test_dockerignore_sends_only_what_the_build_copies() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["readme"]
    needed = ["pyproject.toml", readme, "contracts/pyproject.toml", "services/inventory_ledger"]
    assert [p for p in needed if _ignored(patterns, p)] == []
    kept_out = [".git", ".venv", ".cache", "tests", "deploy/k8s", "bench"]
    assert [p for p in kept_out if not _ignored(patterns, p)] == []


def test_every_setting_the_image_names_exists() -> None:
    from tests.unit.deploy.agreement import SETTINGS_ENV

    named = set(re.findall(r"\bINVENTORY_[A-Z0-9_]+", DOCKERFILE.read_text()))
    assert named
    assert named - set(SETTINGS_ENV) == set()
