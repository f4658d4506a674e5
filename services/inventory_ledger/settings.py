"""The one configuration class of the service.

Every knob is a field here, read from the environment with the ``INVENTORY_`` prefix
(``INVENTORY_KAFKA_BOOTSTRAP_SERVERS``, ``INVENTORY_DATABASE_URL``, ...). The Kubernetes
ConfigMap/Secret keys and the docs name exactly these fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

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

    # --- Kafka: connection (aiokafka's security options) --------------------------------------
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated host:port list of brokers."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="aiokafka security_protocol."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, description="SASL mechanism when the protocol is SASL_*."
    )
    kafka_sasl_username: str | None = Field(default=None, description="SASL user name.")
    kafka_sasl_password: SecretStr | None = Field(default=None, description="SASL password.")
    kafka_ssl_cafile: Path | None = Field(
        default=None, description="CA bundle (PEM) that signed the brokers' certificates."
    )
    kafka_ssl_certfile: Path | None = Field(default=None, description="Client cert (PEM, mTLS).")
    kafka_ssl_keyfile: Path | None = Field(default=None, description="Client key (PEM, mTLS).")
    kafka_max_request_size: int = Field(
        default=2 * 1024 * 1024,
        ge=1024 * 1024,
        description=(
            "Largest record the service produces (bytes). A dead letter carries the rejected "
            "message in base64 (up to ~1.4x a 1 MiB message), so the dead-letter topic's "
            "max.message.bytes must be at least this."
        ),
    )
    # --- Kafka: topics and consumption -----------------------------------------------------
    topic_purchasing: str = Field(default="purchasing.v1", description="Inbound topic.")
    topic_sales: str = Field(default="sales.v1", description="Inbound topic.")
    topic_shipping: str = Field(default="shipping.v1", description="Inbound topic.")
    topic_jobs: str = Field(default="jobs.v1", description="Inbound topic.")
    topic_adjustments: str = Field(default="adjustments.v1", description="Inbound topic.")
    topic_balance_changed: str = Field(
        default="inventory.balance-changed.v1", description="Outbound balance_changed topic."
    )
    topic_dead_letter: str = Field(
        default="inventory.dead-letter.v1", description="Outbound dead-letter topic."
    )
    consumer_group: str = Field(default="inventory-ledger", description="Kafka consumer group.")
    batch_max_records: int = Field(
        default=500, ge=1, le=10_000, description="Most records applied in one DB transaction."
    )
    batch_timeout_ms: int = Field(
        default=20,
        ge=1,
        description="How long one poll waits for records when none are there; FastStream then "
        "sleeps as long again before the next poll, so on a quiet stream a record may wait up "
        "to twice this before it is picked up. A poll returns as soon as any record is there: "
        "this does not fill batches (records that arrive while a batch is applied do).",
    )
    fetch_max_wait_ms: int = Field(
        default=20,
        ge=0,
        description="How long the broker holds a fetch to gather fetch_min_bytes (Kafka "
        "fetch.max.wait.ms). While a batch is applied the consumer fetches no more, so a fetch "
        "held this long brings the records that arrived during the batch, not only the first "
        "one: about 12 ms less p50 latency at 1k ev/s (docs/consumer-design.md, Latency). A "
        "lone record on a quiet stream waits up to this much longer, and an idle consumer "
        "fetches this often (20 ms: about 3 % of a core more than aiokafka's 500 ms).",
    )
    fetch_min_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description="Bytes a fetch waits for (Kafka fetch.min.bytes); a backlog fills it at "
        "once, a live stream returns after fetch_max_wait_ms.",
    )
    catchup_window_ms: int = Field(
        default=100,
        ge=0,
        description="While catching up, a partition whose last record is more than this much "
        "later (Kafka timestamps) than the earliest one still behind is paused until the others "
        "come near, so a backlog is read in about the order it was written; a batch merges the "
        "prefetched partitions in timestamp order and stops rather than run more than this past "
        "a partition being fetched again (0: both off). It changes no result, only the work: "
        "see adapters/kafka/alignment.py and time_order.py.",
    )
    max_poll_interval_ms: int = Field(
        default=300_000, description="Kafka max.poll.interval.ms; a batch must finish sooner."
    )
    retry_max_s: float = Field(
        default=120.0,
        description="How long a batch is retried in place (DB down) before it is redelivered.",
    )
    shutdown_timeout_s: float = Field(
        default=30.0, description="SIGTERM: finish the batch, flush the outbox, exit within this."
    )
    # --- cost side -----------------------------------------------------------------------
    cost_tracking: bool = Field(
        default=True,
        description="Keep lots, usage, allocations and COGS beside the quantities (issue 6); "
        "off: quantities only.",
    )
    cost_history_steps: int = Field(
        default=500,
        ge=0,
        description="Steps (receipts, usages, returns) of each item's allocation history kept "
        "in memory; an item drops the older ones once it has twice as many, and a late event "
        "that reaches them makes its batch rebuild the item from the cost log (docs/cost-side.md"
        ", Memory). 0 keeps every item's whole history.",
    )
    cost_resident_entries: int = Field(
        default=20_000,
        ge=0,
        description="Entries (lots, usages, documents, PO lines, bills) of each cost graph map "
        "kept in memory (each item's own maps keep twice INVENTORY_COST_HISTORY_STEPS); the "
        "older ones move to a scratch file between batches and are read back when a late "
        "event reaches them (docs/cost-side.md, Memory). 0 keeps all in memory.",
    )
    cost_spill_dir: Path | None = Field(
        default=None,
        description="Directory of that scratch file (default: the system's temp directory); "
        "it is deleted when the service stops.",
    )
    costing_methods: dict[str, Literal["fifo", "lifo"]] = Field(
        default_factory=dict,
        description='Costing method per lic (every location), JSON, e.g. {"SKU-1": "lifo"}; '
        "others use FIFO.",
    )
    # --- outbox relay ----------------------------------------------------------------------
    relay_batch_size: int = Field(default=500, ge=1, description="Outbox rows sent per pass.")
    relay_poll_interval_s: float = Field(
        default=1.0, description="Idle poll of the outbox (a commit also wakes the relay)."
    )
    # --- PostgreSQL ------------------------------------------------------------------------
    db_pool_min_size: int = Field(default=1, ge=0, description="asyncpg pool minimum size.")
    db_pool_max_size: int = Field(default=10, ge=1, description="asyncpg pool maximum size.")
    db_statement_timeout_ms: int = Field(
        default=60_000, description="statement_timeout of the service's sessions."
    )
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
    metrics_interval_s: float = Field(
        default=15.0, description="How often consumer lag and outbox backlog are measured."
    )
    # --- logging ---------------------------------------------------------------------------
    log_level: str = Field(default="INFO", description="Level of the service's logs.")
    log_format: Literal["json", "console"] = Field(
        default="json", description="json (one object per line) or console (for people)."
    )

    # --- HTTP query API (adapters/http) ---------------------------------------------------
    http_host: str = Field(
        default="127.0.0.1",
        description="Address the HTTP API binds; 0.0.0.0 in a container.",
    )
    http_port: int = Field(
        default=8080, ge=0, le=65535, description="Port of the HTTP API (0: any free port)."
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="Bearer token every /v1 route requires when set; health and metrics stay open.",
    )
    api_default_page_size: int = Field(
        default=100, ge=1, description="Rows per page when a request names no limit."
    )
    api_max_page_size: int = Field(
        default=1000, ge=1, description="Largest limit a request may ask for (more is a 422)."
    )
    readiness_timeout_s: float = Field(
        default=2.0, gt=0, description="How long /readyz waits for each of Postgres and Kafka."
    )

    @property
    def inbound_topics(self) -> tuple[str, ...]:
        """The five inbound topics, in contracts.md order."""
        return (
            self.topic_purchasing,
            self.topic_sales,
            self.topic_shipping,
            self.topic_jobs,
            self.topic_adjustments,
        )

    def producer_options(self) -> dict[str, Any]:
        """aiokafka producer options besides the bootstrap servers: security and record size."""
        options = self.kafka_options()
        del options["bootstrap_servers"]
        options["max_request_size"] = self.kafka_max_request_size
        return options

    def kafka_options(self) -> dict[str, Any]:
        """aiokafka connection options (security included) shared by consumer and producers."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.kafka_bootstrap_servers,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol.startswith("SASL"):
            options["sasl_mechanism"] = self.kafka_sasl_mechanism or "PLAIN"
            options["sasl_plain_username"] = self.kafka_sasl_username
            options["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        if self.kafka_security_protocol.endswith("SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(
                cafile=str(self.kafka_ssl_cafile) if self.kafka_ssl_cafile else None,
                certfile=str(self.kafka_ssl_certfile) if self.kafka_ssl_certfile else None,
                keyfile=str(self.kafka_ssl_keyfile) if self.kafka_ssl_keyfile else None,
            )
        return options
