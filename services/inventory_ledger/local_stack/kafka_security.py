"""A private Kafka node with a SASL_SSL listener (SCRAM users, a self-signed CA) for tests.

The default stack stays PLAINTEXT. ``SecuredKafka`` starts a second, throw-away KRaft node with
its own folder (under the system temp dir) and its own free ports: PLAINTEXT for the controller,
inter-broker traffic and the readiness probe, plus ``SASL_SSL`` on loopback where clients
authenticate with SCRAM-SHA-512 or SCRAM-SHA-256 over TLS. The broker's certificate is signed
by a CA made for this node with the JDK's ``keytool``; the SCRAM user is written into the
cluster metadata when the storage is formatted (``StorageTool format --add-scram``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from inventory_ledger.local_stack.errors import StackError
from inventory_ledger.local_stack.kafka import KafkaNode
from inventory_ledger.local_stack.paths import StackPaths, project_root
from inventory_ledger.local_stack.process import require_free_port, run
from inventory_ledger.settings import LocalStackSettings

__all__ = ["BrokerTls", "ScramUser", "SecuredKafka", "free_ports", "make_broker_tls"]

ScramMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512"]
SCRAM_MECHANISMS: tuple[ScramMechanism, ...] = ("SCRAM-SHA-512", "SCRAM-SHA-256")
LISTENER = "SASL_SSL"
_SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule required;"


@dataclass(frozen=True)
class ScramUser:
    """A SCRAM user known to the broker under every mechanism of ``SCRAM_MECHANISMS``."""

    name: str
    password: str

    @classmethod
    def generate(cls, name: str = "ledger") -> ScramUser:
        return cls(name, secrets.token_hex(16))

    def format_options(self) -> tuple[str, ...]:
        """``StorageTool format`` options that add this user's SCRAM credentials."""
        options: list[str] = []
        for mechanism in SCRAM_MECHANISMS:
            options += ["--add-scram", f"{mechanism}=[name={self.name},password={self.password}]"]
        return tuple(options)


@dataclass(frozen=True)
class BrokerTls:
    """The files ``make_broker_tls`` wrote: the CA for clients, the broker's key and trust."""

    ca_pem: Path
    keystore: Path
    truststore: Path
    password: str


def _keytool() -> str:
    found = shutil.which("keytool")
    if found is None and (java := shutil.which("java")):
        candidate = Path(os.path.realpath(java)).parent / "keytool"
        found = str(candidate) if candidate.is_file() else None
    if found is None:
        raise StackError("the JDK's keytool is needed to make test certificates")
    return found


def _san(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"SAN=dns:{host},dns:localhost"
    return f"SAN=ip:{host},dns:localhost"


def make_broker_tls(folder: Path, host: str, validity_days: int = 2) -> BrokerTls:
    """A new CA and a broker key pair it signed for ``host``, as PKCS12 stores and a PEM.

    The CA's private key stays in ``folder/ca.p12``; clients need only ``ca.pem``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    keytool = _keytool()
    password = secrets.token_hex(12)
    ca_store, broker_store = folder / "ca.p12", folder / "broker.p12"
    ca_pem, csr, signed = folder / "ca.pem", folder / "broker.csr", folder / "broker.pem"
    truststore = folder / "truststore.p12"
    common = ["-storetype", "PKCS12", "-storepass", password]
    quick_jvm = ["-J-Xmx64m", "-J-XX:TieredStopAtLevel=1"]  # halves each keytool's start-up
    key = ["-keyalg", "EC", "-groupname", "secp256r1", "-validity", str(validity_days)]
    steps: list[tuple[str, list[str]]] = [
        (
            "making the test CA",
            ["-genkeypair", "-alias", "ca", "-keystore", str(ca_store), *key,
             "-dname", "CN=inventory-ledger test CA", "-ext", "bc:c=ca:true",
             "-ext", "ku:c=keyCertSign,cRLSign"],
        ),
        (
            "exporting the CA certificate",
            ["-exportcert", "-rfc", "-alias", "ca", "-keystore", str(ca_store),
             "-file", str(ca_pem)],
        ),
        (
            "making the broker's key pair",
            ["-genkeypair", "-alias", "broker", "-keystore", str(broker_store), *key,
             "-dname", f"CN={host}"],
        ),
        (
            "requesting the broker's certificate",
            ["-certreq", "-alias", "broker", "-keystore", str(broker_store), "-file", str(csr)],
        ),
        (
            "signing the broker's certificate",
            ["-gencert", "-rfc", "-alias", "ca", "-keystore", str(ca_store),
             "-infile", str(csr), "-outfile", str(signed), "-validity", str(validity_days),
             "-ext", _san(host), "-ext", "ku:c=digitalSignature",
             "-ext", "eku=serverAuth"],
        ),
        (
            "trusting the CA in the broker's keystore",
            ["-importcert", "-noprompt", "-alias", "ca", "-keystore", str(broker_store),
             "-file", str(ca_pem)],
        ),
        (
            "installing the signed broker certificate",
            ["-importcert", "-alias", "broker", "-keystore", str(broker_store),
             "-file", str(signed)],
        ),
        (
            "writing the broker's truststore",
            ["-importcert", "-noprompt", "-alias", "ca", "-keystore", str(truststore),
             "-file", str(ca_pem)],
        ),
    ]  # fmt: skip
    for what, argv in steps:
        run([keytool, *argv, *common, *quick_jvm], what=f"keytool: {what}", timeout=60)
    return BrokerTls(ca_pem=ca_pem, keystore=broker_store, truststore=truststore, password=password)


def free_ports(host: str, count: int) -> list[int]:
    """``count`` distinct TCP ports nothing listens on now (picked by the OS)."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def sasl_ssl_properties(
    host: str, port: int, controller_port: int, sasl_port: int, tls: BrokerTls
) -> tuple[tuple[str, str], ...]:
    """server.properties entries that add the SASL_SSL listener beside PLAINTEXT."""
    prefix = f"listener.name.{LISTENER.lower()}"
    return (
        (
            "listeners",
            f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port},"
            f"{LISTENER}://{host}:{sasl_port}",
        ),
        ("advertised.listeners", f"PLAINTEXT://{host}:{port},{LISTENER}://{host}:{sasl_port}"),
        (
            "listener.security.protocol.map",
            f"CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,{LISTENER}:SASL_SSL",
        ),
        (f"{prefix}.sasl.enabled.mechanisms", ",".join(SCRAM_MECHANISMS)),
        *((f"{prefix}.{m.lower()}.sasl.jaas.config", _SCRAM_LOGIN) for m in SCRAM_MECHANISMS),
        (f"{prefix}.ssl.keystore.type", "PKCS12"),
        (f"{prefix}.ssl.keystore.location", str(tls.keystore)),
        (f"{prefix}.ssl.keystore.password", tls.password),
        (f"{prefix}.ssl.key.password", tls.password),
        (f"{prefix}.ssl.truststore.type", "PKCS12"),
        (f"{prefix}.ssl.truststore.location", str(tls.truststore)),
        (f"{prefix}.ssl.truststore.password", tls.password),
        (f"{prefix}.ssl.client.auth", "none"),
    )


@dataclass(frozen=True)
class SecuredKafka:
    """A private Kafka node whose SASL_SSL listener knows one SCRAM user.

    ``create`` makes the certificates; ``start`` formats and starts the node and waits for a
    metadata round trip; ``stop`` stops it and, by default, deletes its folder.
    """

    node: KafkaNode
    sasl_port: int
    user: ScramUser
    tls: BrokerTls

    @classmethod
    def create(
        cls,
        home: Path | None = None,
        *,
        host: str = "127.0.0.1",
        user: ScramUser | None = None,
        heap: str = "384m",
        start_timeout_s: float = 90.0,
    ) -> SecuredKafka:
        """Certificates and configuration for a new node in ``home`` (default: a temp dir)."""
        home = home or Path(tempfile.mkdtemp(prefix="inventory-kafka-sasl-ssl-"))
        user = user or ScramUser.generate()
        tls = make_broker_tls(home / "tls", host)
        port, controller_port, sasl_port = free_ports(host, 3)
        settings = LocalStackSettings(
            home=home,
            host=host,
            kafka_port=port,
            kafka_controller_port=controller_port,
            kafka_heap=heap,
            kafka_partitions=1,
            start_timeout_s=start_timeout_s,
        )
        node = KafkaNode(
            StackPaths(root=project_root(), home=home),
            settings,
            extra_properties=sasl_ssl_properties(host, port, controller_port, sasl_port, tls),
            format_options=user.format_options(),
        )
        return cls(node=node, sasl_port=sasl_port, user=user, tls=tls)

    @property
    def home(self) -> Path:
        return self.node.paths.home

    @property
    def plaintext_bootstrap(self) -> str:
        """The loopback PLAINTEXT listener (readiness and inter-broker traffic only)."""
        return self.node.bootstrap

    @property
    def sasl_ssl_bootstrap(self) -> str:
        return f"{self.node.settings.host}:{self.sasl_port}"

    def service_environment(
        self, mechanism: ScramMechanism = "SCRAM-SHA-512", password: str | None = None
    ) -> dict[str, str]:
        """The ``INVENTORY_*`` variables that point the service at the SASL_SSL listener."""
        return {
            "INVENTORY_KAFKA_BOOTSTRAP_SERVERS": self.sasl_ssl_bootstrap,
            "INVENTORY_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "INVENTORY_KAFKA_SASL_MECHANISM": mechanism,
            "INVENTORY_KAFKA_SASL_USERNAME": self.user.name,
            "INVENTORY_KAFKA_SASL_PASSWORD": self.user.password if password is None else password,
            "INVENTORY_KAFKA_SSL_CAFILE": str(self.tls.ca_pem),
        }

    def start(self) -> None:
        """Format (with the SCRAM user) and start the node; raise StackError with the reason."""
        require_free_port(self.node.settings.host, self.sasl_port, "Kafka SASL_SSL")
        self.node.start()

    def stop(self, *, purge: bool = True) -> None:
        """Stop the node; with ``purge`` also delete its folder (keys, data, logs)."""
        self.node.stop()
        if purge:
            shutil.rmtree(self.home, ignore_errors=True)
