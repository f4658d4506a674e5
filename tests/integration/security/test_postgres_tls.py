"""Postgres over TLS: the service's DSN options (``sslmode=verify-full&sslrootcert=...``) work.

A private cluster (its own temp dir and port, run as the ``postgres`` OS user like the local
stack) serves a certificate for 127.0.0.1/localhost signed by a throw-away CA made with the
``openssl`` CLI, and accepts TCP connections over TLS only (``hostssl`` in pg_hba.conf). The
shared local stack is not touched; the cluster is stopped and deleted after the module.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import asyncpg
import pytest
from pydantic import SecretStr

from inventory_ledger.adapters.postgres.connection import Connection
from inventory_ledger.adapters.postgres.migrations import migrate
from inventory_ledger.bootstrap import Service
from inventory_ledger.local_stack.paths import StackPaths, project_root
from inventory_ledger.local_stack.postgres import PostgresCluster, PostgresTls
from inventory_ledger.settings import LocalStackSettings
from tests.e2e.support import create_topics, service_settings, topics_for, wait_for

pytestmark = pytest.mark.integration

_HOST = "127.0.0.1"
_RELAY_SESSION = "inventory-outbox-relay"


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def _make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed CA certificate and its key (P-256)."""
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    return cert, key


def _make_server_cert(folder: Path, ca_cert: Path, ca_key: Path) -> tuple[Path, Path]:
    """A server certificate for 127.0.0.1 and localhost, signed by the CA."""
    cert, key, csr = folder / "server.crt", folder / "server.key", folder / "server.csr"
    extensions = folder / "server.ext"
    extensions.write_text(
        "basicConstraints = CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
        f"subjectAltName = IP:{_HOST}, DNS:localhost\n"
    )
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", csr, "-subj", f"/CN={_HOST}",
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
        "-days", "2", "-extfile", extensions, "-out", cert,
    )  # fmt: skip
    return cert, key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((_HOST, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class TlsCluster:
    """The private cluster and the two CAs: the one that signed it, and an unrelated one."""

    cluster: PostgresCluster
    ca: Path
    wrong_ca: Path

    def dsn(
        self,
        role: Literal["owner", "app", "superuser"],
        sslmode: str = "verify-full",
        rootcert: Path | None = None,
    ) -> str:
        query = f"sslmode={sslmode}"
        if sslmode.startswith("verify"):
            query += f"&sslrootcert={quote(str(rootcert or self.ca))}"
        return f"{self.cluster.dsn(role)}?{query}"


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[TlsCluster]:
    home = Path(tempfile.mkdtemp(prefix="ledger-pg-tls-"))
    home.chmod(0o711)  # the postgres OS user must reach home/postgres
    certs = home / "certs"
    certs.mkdir()
    ca, ca_key = _make_ca(certs, "ledger-test-ca")
    wrong_ca, _ = _make_ca(certs, "unrelated-ca")
    server_cert, server_key = _make_server_cert(certs, ca, ca_key)
    settings = LocalStackSettings(
        home=home, host=_HOST, postgres_port=_free_port(), postgres_fsync=False
    )
    cluster = PostgresCluster(
        StackPaths(root=project_root(), home=home),
        settings,
        tls=PostgresTls(cert_file=server_cert, key_file=server_key, required=True),
    )
    try:
        cluster.start()
        yield TlsCluster(cluster, ca, wrong_ca)
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)


async def _tls_of_own_session(conn: Connection) -> tuple[bool, str]:
    row = await conn.fetchrow("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert row is not None
    return row["ssl"], row["version"]


@pytest.mark.timeout(120)
async def test_service_runs_over_verify_full_and_every_session_is_tls(
    tls_cluster: TlsCluster, kafka_bootstrap: str, topic: str
) -> None:
    # migrations run as the owner, over TLS, with the same DSN options
    assert await migrate(tls_cluster.dsn("owner"), app_role="ledger_app")
    topics = topics_for(topic)
    await create_topics(kafka_bootstrap, topics, partitions=1)
    settings = service_settings(
        kafka_bootstrap,
        tls_cluster.dsn("app"),
        topics,
        migration_database_url=SecretStr(tls_cluster.dsn("owner")),
    )
    service = Service(settings, serve_http=False)
    await service.start()
    try:
        assert service.pool is not None
        async with service.pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_user") == "ledger_app"
            on_tls, version = await _tls_of_own_session(conn)
        assert on_tls is True
        assert version.startswith("TLSv1.")
        relay = service.relay
        assert relay is not None

        async def relay_holds_its_lock() -> bool:
            return relay.active

        await wait_for(relay_holds_its_lock, within_s=20, what="the relay to take its lock")
        admin = await asyncpg.connect(tls_cluster.dsn("superuser"), timeout=10)
        try:
            sessions = await admin.fetch(
                """SELECT a.application_name, s.ssl
                   FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                   WHERE a.usename = 'ledger_app'"""
            )
        finally:
            await admin.close()
    finally:
        await service.stop()
    # the pool's sessions and the outbox relay's lock session: all of them encrypted
    assert _RELAY_SESSION in {s["application_name"] for s in sessions}
    assert len(sessions) >= 2
    assert all(s["ssl"] for s in sessions), sessions


async def test_a_client_trusting_another_ca_is_refused(tls_cluster: TlsCluster) -> None:
    for sslmode in ("verify-full", "verify-ca"):
        dsn = tls_cluster.dsn("app", sslmode, rootcert=tls_cluster.wrong_ca)
        with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
            await asyncpg.connect(dsn, timeout=10)


async def test_verify_full_needs_a_root_certificate(
    tls_cluster: TlsCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without sslrootcert (and no ~/.postgresql/root.crt) verify-full fails, never downgrades."""
    monkeypatch.delenv("PGSSLROOTCERT", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    dsn = f"{tls_cluster.cluster.dsn('app')}?sslmode=verify-full"
    with pytest.raises(asyncpg.ClientConfigurationError, match="root certificate file"):
        await asyncpg.connect(dsn, timeout=10)


async def test_hostssl_only_cluster_refuses_a_plaintext_connection(
    tls_cluster: TlsCluster,
) -> None:
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="no encryption"):
        await asyncpg.connect(tls_cluster.dsn("app", sslmode="disable"), timeout=10)
    conn = await asyncpg.connect(tls_cluster.dsn("app"), timeout=10)
    try:
        on_tls, _ = await _tls_of_own_session(conn)
    finally:
        await conn.close()
    assert on_tls is True


def test_server_key_is_private_to_the_server(tls_cluster: TlsCluster) -> None:
    key = tls_cluster.cluster.data / "server.key"
    assert key.stat().st_mode & 0o777 == 0o600
    if os.geteuid() == 0:
        assert key.owner() == "postgres"
