"""Up, down and status of the whole local stack (Kafka + Postgres)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from inventory_ledger.local_stack.errors import StackError
from inventory_ledger.local_stack.kafka import KafkaNode
from inventory_ledger.local_stack.paths import StackPaths
from inventory_ledger.local_stack.postgres import PostgresCluster
from inventory_ledger.settings import LocalStackSettings

__all__ = ["ComponentStatus", "LocalStack", "StackError", "StackStatus"]


@dataclass(frozen=True)
class ComponentStatus:
    """One server of the stack as a person (or a test) wants to see it."""

    name: str
    running: bool
    ready: bool
    address: str
    pid: int | None
    folder: str


@dataclass(frozen=True)
class StackStatus:
    kafka: ComponentStatus
    postgres: ComponentStatus

    @property
    def all_ready(self) -> bool:
        return self.kafka.ready and self.postgres.ready


@dataclass(frozen=True)
class LocalStack:
    """Real Kafka and real Postgres on this machine, started and stopped by the project."""

    kafka: KafkaNode
    postgres: PostgresCluster

    @classmethod
    def from_settings(cls, settings: LocalStackSettings | None = None) -> LocalStack:
        settings = settings or LocalStackSettings()
        paths = StackPaths.resolve(settings.home)
        return cls(KafkaNode(paths, settings), PostgresCluster(paths, settings))

    @property
    def kafka_bootstrap(self) -> str:
        return self.kafka.bootstrap

    def database_url(self, role: str = "owner") -> str:
        return self.postgres.dsn(role)

    def up(self) -> StackStatus:
        """Start both servers; running ones are reused. Raises StackError with the reason."""
        self.postgres.start()
        self.kafka.start()
        return self.status()

    def down(self, *, purge: bool = False) -> StackStatus:
        """Stop both servers; with ``purge`` also delete their data (jars stay cached)."""
        errors: list[str] = []
        for part in (self.kafka, self.postgres):
            try:
                part.stop()
            except StackError as exc:
                errors.append(str(exc))
        if errors:
            raise StackError("; ".join(errors))
        if purge:
            self.postgres.purge()
            shutil.rmtree(self.kafka.home, ignore_errors=True)
        return self.status()

    def status(self) -> StackStatus:
        kpid, ppid = self.kafka.pid(), self.postgres.pid()
        return StackStatus(
            kafka=ComponentStatus(
                name="kafka",
                running=kpid is not None,
                ready=kpid is not None and self.kafka.ready(),
                address=self.kafka.bootstrap,
                pid=kpid,
                folder=str(self.kafka.home),
            ),
            postgres=ComponentStatus(
                name="postgres",
                running=ppid is not None,
                ready=ppid is not None and self.postgres.ready(),
                address=f"{self.postgres.host}:{self.postgres.port}",
                pid=ppid,
                folder=str(self.postgres.base),
            ),
        )
