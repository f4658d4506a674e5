"""The one configuration class of the service.

Every knob is a field here, read from the environment with the ``INVENTORY_`` prefix
(``INVENTORY_KAFKA_BOOTSTRAP_SERVERS``, ``INVENTORY_DATABASE_URL``, ...). The Kubernetes
ConfigMap/Secret keys and the docs name exactly these fields.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["LocalStackSettings", "Settings"]


class LocalStackSettings(BaseSettings):
    """Where the native development stack (real Kafka + real Postgres) listens and lives.

    Used only by ``inventory-ledger stack`` and the test harness, never by the service.
    """

    model_config = SettingsConfigDict(env_prefix="INVENTORY_STACK_", extra="ignore")

    home: Path | None = Field(
        default=None,
        description="State dir of the local stack; default: <project>/.cache/stack.",
    )
    host: str = Field(default="127.0.0.1", description="Loopback address both servers bind.")
    kafka_port: int = Field(default=9092, description="Kafka PLAINTEXT listener port.")
    kafka_controller_port: int = Field(default=9093, description="KRaft controller port.")
    kafka_heap: str = Field(default="512m", description="Kafka JVM max heap (-Xmx).")
    kafka_partitions: int = Field(default=3, description="Default partitions of new topics.")
    postgres_port: int = Field(default=55432, description="Postgres port (not 5432 on purpose).")
    postgres_fsync: bool = Field(
        default=True, description="fsync of the local cluster; tests turn it off for speed."
    )
    database: str = Field(default="inventory", description="Database created for the service.")
    owner_role: str = Field(default="ledger_owner", description="Migrator/owner role.")
    owner_password: SecretStr = Field(default=SecretStr("ledger_owner"))
    app_role: str = Field(default="ledger_app", description="Role the service runs as.")
    app_password: SecretStr = Field(default=SecretStr("ledger_app"))
    superuser_password: SecretStr = Field(default=SecretStr("postgres"))
    start_timeout_s: float = Field(default=90.0, description="Give up starting after this.")


class Settings(BaseSettings):
    """Settings of the running service (consumer, outbox relay, HTTP API)."""

    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:9092")
    database_url: SecretStr = Field(
        default=SecretStr("postgresql://ledger_app:ledger_app@127.0.0.1:55432/inventory"),
        description="DSN of the application role (INSERT/SELECT on the ledger).",
    )
    migration_database_url: SecretStr = Field(
        default=SecretStr("postgresql://ledger_owner:ledger_owner@127.0.0.1:55432/inventory"),
        description="DSN of the owner role that runs migrations.",
    )
    app_role: str = Field(
        default="ledger_app",
        description="Role the service runs as; migrations grant it least privilege.",
    )
    log_level: str = Field(default="INFO")
    log_format: str = Field(default="json", description="json or console")
