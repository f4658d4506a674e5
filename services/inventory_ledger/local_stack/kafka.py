"""A real Apache Kafka broker (KRaft, one combined broker+controller node).

Jars come from Maven Central through ``deploy/local/kafka/pom.xml`` into ``.cache/kafka/libs``
once; later starts reuse them without the network. Readiness is a real metadata round trip.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import shutil
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inventory_ledger.local_stack.errors import StackError
from inventory_ledger.local_stack.paths import StackPaths
from inventory_ledger.local_stack.process import (
    blocking,
    is_alive,
    port_open,
    read_pid,
    require_free_port,
    run,
    start_detached,
    stop_group,
    wait_until,
)
from inventory_ledger.settings import LocalStackSettings

__all__ = ["KafkaNode", "merge_properties", "metadata_round_trip"]


def merge_properties(text: str, overrides: Sequence[tuple[str, str]]) -> str:
    """``text`` (a .properties file) with each override replacing its key's line, or appended."""
    left = dict(overrides)
    lines = []
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        is_entry = not line.lstrip().startswith("#") and "=" in line
        lines.append(f"{key}={left.pop(key)}" if is_entry and key in left else line)
    lines += [f"{key}={value}" for key, value in left.items()]
    return "\n".join(lines) + "\n"


def metadata_round_trip(bootstrap: str, timeout: float = 5.0) -> bool:
    """True when the broker answers a cluster-metadata request within ``timeout`` seconds."""
    from aiokafka.admin import AIOKafkaAdminClient

    async def _ask() -> bool:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000)
        )
        try:
            await asyncio.wait_for(admin.start(), timeout)
            cluster = await asyncio.wait_for(admin.describe_cluster(), timeout)
            return bool(cluster.get("brokers"))
        finally:
            await admin.close()

    host, _, port = bootstrap.rpartition(":")
    if not port_open(host, int(port)):
        return False
    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        return blocking(_ask)
    except Exception:
        return False
    finally:
        quiet.setLevel(level)


@dataclass(frozen=True)
class KafkaNode:
    """One local Kafka node: resolve jars, format storage, start, wait, stop.

    ``extra_properties`` replace or add server.properties entries and ``format_options`` are
    appended to ``StorageTool format`` (kafka_security.py adds a SASL_SSL listener and SCRAM
    users with them); both are empty for the default stack.
    """

    paths: StackPaths
    settings: LocalStackSettings
    extra_properties: tuple[tuple[str, str], ...] = ()
    format_options: tuple[str, ...] = ()

    @property
    def bootstrap(self) -> str:
        return f"{self.settings.host}:{self.settings.kafka_port}"

    @property
    def home(self) -> Path:
        return self.paths.kafka_home

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    def pid(self) -> int | None:
        pid = read_pid(self.pid_file)
        return pid if is_alive(pid) else None

    def ready(self) -> bool:
        return self.pid() is not None and metadata_round_trip(self.bootstrap)

    def ensure_jars(self) -> Path:
        """Resolve the broker's jars with Maven once; reuse them while the pom is unchanged."""
        pom = self.paths.kafka_deploy / "pom.xml"
        libs = self.paths.kafka_libs
        stamp = libs / f".resolved-{hashlib.sha256(pom.read_bytes()).hexdigest()[:16]}"
        if stamp.is_file():
            return libs
        mvn = shutil.which("mvn")
        if mvn is None:
            raise StackError(
                "Maven (mvn) is needed once to fetch Kafka's jars: apt-get install maven"
            )
        if libs.exists():
            shutil.rmtree(libs)
        run(
            [
                mvn,
                "-B",
                "-q",
                f"-Dmaven.repo.local={self.paths.maven_repo}",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={libs}",
            ],
            what="resolving Kafka's jars from Maven Central",
            timeout=900,
        )
        slf4j = sorted(p.name for p in libs.glob("slf4j-api-*.jar"))
        if len(slf4j) != 1 or not slf4j[0].startswith("slf4j-api-1.7."):
            raise StackError(f"expected exactly one slf4j-api 1.7.x jar, found {slf4j}")
        stamp.touch()
        return libs

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise StackError(
                "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless"
            )
        return java

    def _render_config(self) -> Path:
        template = (self.paths.kafka_deploy / "server.properties.template").read_text()
        config = string.Template(template).substitute(
            host=self.settings.host,
            port=self.settings.kafka_port,
            controller_port=self.settings.kafka_controller_port,
            data_dir=self.home / "data",
            partitions=self.settings.kafka_partitions,
        )
        if self.extra_properties:
            config = merge_properties(config, self.extra_properties)
        path = self.home / "server.properties"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config)
        return path

    def _format(self, java: str, libs: Path, config: Path) -> None:
        if (self.home / "data" / "meta.properties").is_file():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if cluster_id.startswith("-"):
            cluster_id = "A" + cluster_id[1:]
        run(
            [
                java,
                "-Xmx256m",
                "-cp",
                f"{libs}/*",
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(config),
                "--ignore-formatted",
                *self.format_options,
            ],
            what="formatting Kafka's KRaft storage",
            timeout=120,
        )

    def start(self) -> None:
        """Start the broker (idempotent) and wait for a metadata round trip."""
        if self.pid() is not None:
            self._wait_ready()
            return
        libs = self.ensure_jars()
        java = self._java()
        for port in (self.settings.kafka_port, self.settings.kafka_controller_port):
            require_free_port(self.settings.host, port, "Kafka")
        config = self._render_config()
        self._format(java, libs, config)
        pid = start_detached(
            [
                java,
                f"-Xmx{self.settings.kafka_heap}",
                "-Xms128m",
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self.paths.kafka_deploy / 'log4j2.properties'}",
                f"-Dkafka.logs.dir={self.log_dir}",
                "-cp",
                f"{libs}/*",
                "kafka.Kafka",
                str(config),
            ],
            log=self.log_dir / "stdout.log",
        )
        self.pid_file.write_text(f"{pid}\n")
        self._wait_ready()

    def _wait_ready(self) -> None:
        def ok() -> bool:
            if self.pid() is None:
                raise StackError(
                    f"Kafka exited while starting; see {self.log_dir / 'server.log'} and "
                    f"{self.log_dir / 'stdout.log'}"
                )
            return metadata_round_trip(self.bootstrap, timeout=3.0)

        if not wait_until(ok, timeout=self.settings.start_timeout_s, interval=0.5):
            raise StackError(
                f"Kafka did not answer on {self.bootstrap} within "
                f"{self.settings.start_timeout_s:.0f}s; see {self.log_dir / 'server.log'}"
            )

    def stop(self) -> None:
        """Stop the broker and its process group; no Java process of ours is left."""
        pid = self.pid()
        if pid is not None:
            stop_group(pid, grace=30.0)
        self.pid_file.unlink(missing_ok=True)
