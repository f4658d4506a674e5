"""The docker compose demo: valid for Docker Compose's own loader, and wired like production.

``compose-check`` is compose-go (the library Docker Compose loads files with) built from its
Go module; it validates the Compose Specification schema, interpolation, profiles and the
references between services without a Docker engine.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from inventory_ledger.settings import Settings
from tests.unit.deploy.agreement import SETTINGS_ENV
from tests.unit.deploy.support import DEPLOY, build_tool

# The timeout covers a cold first build of the Go tools (~3 min, once); warm, each test
# takes well under a second.
pytestmark = [pytest.mark.unit, pytest.mark.timeout(600)]

COMPOSE = DEPLOY / "docker" / "compose.yaml"
KAFKA_POM = DEPLOY / "local" / "kafka" / "pom.xml"


@pytest.fixture(scope="module")
def compose_check() -> Path:
    return build_tool(DEPLOY / "docker" / "tools" / "install-compose-check.sh")


def _load(tool: Path, file: Path, *profiles: str) -> subprocess.CompletedProcess[str]:
    argv = [str(tool)]
    for profile in profiles:
        argv += ["--profile", profile]
    return subprocess.run(
        [*argv, str(file)], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.fixture(scope="module")
def project(compose_check: Path) -> dict[str, Any]:
    """The normalized model (anchors merged, profile ``simulate`` on), as compose sees it."""
    done = _load(compose_check, COMPOSE, "simulate")
    assert done.returncode == 0, done.stderr
    model: dict[str, Any] = yaml.safe_load(done.stdout)
    return model


def test_compose_loads_without_and_with_the_simulator(compose_check: Path) -> None:
    plain = _load(compose_check, COMPOSE)
    assert plain.returncode == 0, plain.stderr
    assert "simulate" not in yaml.safe_load(plain.stdout)["services"]


@pytest.mark.parametrize(
    ("change", "original", "broken"),
    [
        ("misspelt key", "stop_grace_period:", "stop_grace_perod:"),
        ("unknown dependency condition", "service_completed_successfully", "service_done"),
        (
            "undefined service",
            "      migrate:\n        condition",
            "      migrat:\n        condition",
        ),
    ],
)
def test_a_broken_compose_file_fails(
    compose_check: Path, tmp_path: Path, change: str, original: str, broken: str
) -> None:
    shutil.copytree(COMPOSE.parent / "postgres-init", tmp_path / "postgres-init")
    text = COMPOSE.read_text()
    assert original in text, change
    (tmp_path / "compose.yaml").write_text(text.replace(original, broken, 1))
    assert _load(compose_check, tmp_path / "compose.yaml").returncode != 0, change


def test_the_stack_is_the_demo(project: dict[str, Any]) -> None:
    services = project["services"]
    assert set(services) == {"kafka", "topics", "postgres", "migrate", "ledger", "simulate"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["ledger"]["command"] == ["run"]
    assert services["simulate"]["command"][:3] == ["simulate", "--kafka", "kafka:9092"]
    assert services["simulate"]["profiles"] == ["simulate"]
    depends = services["ledger"]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["topics"]["condition"] == "service_completed_successfully"


def test_kafka_is_the_version_of_the_local_stack(project: dict[str, Any]) -> None:
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", KAFKA_POM.read_text())
    assert version is not None
    assert project["services"]["kafka"]["image"] == f"apache/kafka:{version[1]}"


def test_topics_are_created_for_every_topic_of_the_settings(project: dict[str, Any]) -> None:
    script = " ".join(project["services"]["topics"]["command"])
    settings = Settings()
    wanted = [*settings.inbound_topics, settings.topic_balance_changed, settings.topic_dead_letter]
    assert [topic for topic in wanted if topic not in script] == []


def test_roles_and_settings_are_those_of_production(project: dict[str, Any]) -> None:
    services = project["services"]
    for name in ("migrate", "ledger", "simulate"):
        env = services[name].get("environment", {})
        assert [v for v in env if v.upper() not in SETTINGS_ENV] == [], name
        assert services[name]["user"] == "10001:10001"
        assert services[name]["read_only"] is True
        assert services[name]["cap_drop"] == ["ALL"]
    migrate_env = services["migrate"]["environment"]
    ledger_env = services["ledger"]["environment"]
    assert "ledger_owner" in migrate_env["INVENTORY_MIGRATION_DATABASE_URL"]
    assert "ledger_app" in ledger_env["INVENTORY_DATABASE_URL"]
    assert "INVENTORY_MIGRATION_DATABASE_URL" not in ledger_env
    assert "INVENTORY_DATABASE_URL" not in migrate_env


def test_the_service_port_and_drain_time(project: dict[str, Any]) -> None:
    ledger = project["services"]["ledger"]
    settings = Settings()
    port = int(ledger["environment"].get("INVENTORY_HTTP_PORT", settings.http_port))
    assert [p["target"] for p in ledger["ports"]] == [port]
    assert ledger["environment"]["INVENTORY_HTTP_HOST"] == "0.0.0.0"
    grace = re.fullmatch(r"(\d+)s", ledger["stop_grace_period"])
    assert grace is not None
    assert int(grace[1]) > settings.shutdown_timeout_s
