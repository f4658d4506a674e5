"""A real PostgreSQL cluster from Debian's ``postgresql`` package, run as the ``postgres`` user.

The server refuses to run as root, so when we are root every server command goes through
``runuser -u postgres``. The cluster is throw-away: ``stack down --purge`` deletes it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from inventory_ledger.local_stack.errors import StackError
from inventory_ledger.local_stack.paths import StackPaths
from inventory_ledger.local_stack.process import (
    blocking,
    is_alive,
    read_pid,
    require_free_port,
    run,
    wait_until,
)
from inventory_ledger.settings import LocalStackSettings

__all__ = ["PostgresCluster", "PostgresTls", "sql_round_trip"]

_OS_USER = "postgres"


def sql_round_trip(dsn: str, timeout: float = 5.0) -> bool:
    """True when ``SELECT 1`` answers over TCP with these credentials."""
    import asyncpg

    async def _ask() -> bool:
        conn = await asyncpg.connect(dsn, timeout=timeout)
        try:
            return bool(await conn.fetchval("SELECT 1") == 1)
        finally:
            await conn.close()

    try:
        return blocking(_ask)
    except Exception:
        return False


def _as_root() -> bool:
    return os.geteuid() == 0


def _bindir() -> Path | None:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _install_postgres() -> Path:
    if not _as_root():
        raise StackError(
            "PostgreSQL server binaries (initdb, pg_ctl) are missing; install Debian's "
            "`postgresql` package (as root: apt-get install postgresql)"
        )
    env_note = "apt-get install postgresql"
    os.environ.setdefault("DEBIAN_FRONTEND", "noninteractive")
    run(["apt-get", "update", "-q"], what="apt-get update", timeout=600)
    run(["apt-get", "install", "-y", "-q", "postgresql"], what=env_note, timeout=900)
    bindir = _bindir()
    if bindir is None:
        raise StackError("installed `postgresql` but still found no pg_ctl")
    return bindir


@dataclass(frozen=True)
class PostgresTls:
    """Server-side TLS of a cluster (the stack itself runs without; tests turn it on).

    ``cert_file``/``key_file`` are PEM files, copied into the data dir on every start (owned by
    the server, mode 0600, as the server demands of its key). ``required`` makes every TCP
    connection TLS-only: ``host`` lines of ``pg_hba.conf`` become ``hostssl``.
    """

    cert_file: Path
    key_file: Path
    required: bool = False


@dataclass(frozen=True)
class PostgresCluster:
    """One local cluster: install if needed, initdb, start, create roles and database, stop."""

    paths: StackPaths
    settings: LocalStackSettings
    tls: PostgresTls | None = None

    @property
    def host(self) -> str:
        return self.settings.host

    @property
    def port(self) -> int:
        return self.settings.postgres_port

    def dsn(self, role: str = "owner", database: str | None = None) -> str:
        s = self.settings
        user, pw = {
            "owner": (s.owner_role, s.owner_password),
            "app": (s.app_role, s.app_password),
            "superuser": ("postgres", s.superuser_password),
        }[role]
        db = database or (s.database if role != "superuser" else "postgres")
        return f"postgresql://{user}:{pw.get_secret_value()}@{self.host}:{self.port}/{db}"

    @property
    def base(self) -> Path:
        """The cluster's folder: project-local when the postgres user can reach it."""
        local = self.paths.home / "postgres"
        if not _as_root() or _reachable_by_postgres(self.paths.home):
            return local
        digest = hashlib.sha256(str(self.paths.home).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"inventory-ledger-pg-{digest}"

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "run"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    def pid(self) -> int | None:
        try:
            pid = read_pid(self.data / "postmaster.pid")
        except PermissionError:
            return None
        return pid if is_alive(pid) else None

    def ready(self) -> bool:
        return self.pid() is not None and sql_round_trip(self.dsn("owner"))

    def _as_server(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", _OS_USER, "--", *argv] if _as_root() else argv

    def _init(self, bindir: Path) -> None:
        if (self.data / "PG_VERSION").is_file():
            return
        self.base.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        pwfile = self.base / "superuser.pw"
        pwfile.write_text(self.settings.superuser_password.get_secret_value() + "\n")
        if _as_root():
            shutil.chown(self.base, _OS_USER, _OS_USER)
            for p in (self.socket_dir, pwfile):
                shutil.chown(p, _OS_USER, _OS_USER)
        self.base.chmod(0o700)
        run(
            self._as_server(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth-local=peer",
                    "--auth-host=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ]
            ),
            what="initdb",
            timeout=300,
        )
        pwfile.unlink()
        extra = (self.paths.postgres_deploy / "postgresql.conf.local").read_text()
        conf = self.data / "postgresql.conf"
        with conf.open("a") as f:
            f.write("\n# --- inventory-ledger local stack ---\n" + extra)
            f.write("include_if_exists = 'stack.conf'\n")

    def _write_runtime_conf(self) -> None:
        fsync = "on" if self.settings.postgres_fsync else "off"
        conf = (
            f"port = {self.port}\n"
            f"listen_addresses = '{self.host}'\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            f"fsync = {fsync}\nfull_page_writes = {fsync}\nsynchronous_commit = {fsync}\n"
        )
        if self.tls is not None:
            conf += self._install_tls(self.tls)
        (self.data / "stack.conf").write_text(conf)
        if _as_root():
            shutil.chown(self.data / "stack.conf", _OS_USER, _OS_USER)

    def _install_tls(self, tls: PostgresTls) -> str:
        """Copy the certificate and key into the data dir; return the settings that use them."""
        for source, name in ((tls.cert_file, "server.crt"), (tls.key_file, "server.key")):
            target = self.data / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            if _as_root():
                shutil.chown(target, _OS_USER, _OS_USER)
        if tls.required:
            hba = self.data / "pg_hba.conf"
            hba.write_text(re.sub(r"^host(?=\s)", "hostssl", hba.read_text(), flags=re.MULTILINE))
        return "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"

    def start(self) -> None:
        """Start the cluster (idempotent), then make the roles and database it needs."""
        if self.pid() is None:
            bindir = _bindir() or _install_postgres()
            require_free_port(self.host, self.port, "PostgreSQL")
            self._init(bindir)
            self._write_runtime_conf()
            run(
                self._as_server(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-l",
                        str(self.log_file),
                        "-w",
                        "-t",
                        str(int(self.settings.start_timeout_s)),
                        "start",
                    ]
                ),
                what=f"starting PostgreSQL (log: {self.log_file})",
                timeout=self.settings.start_timeout_s + 30,
            )
        self._provision()
        if not wait_until(lambda: sql_round_trip(self.dsn("owner")), timeout=30):
            raise StackError(f"PostgreSQL did not accept the owner role; see {self.log_file}")

    def _psql(self, sql: str, database: str = "postgres") -> str:
        bindir = _bindir()
        if bindir is None:
            raise StackError("psql not found")
        return run(
            self._as_server(
                [
                    str(bindir / "psql"),
                    "-X",
                    "-q",
                    "-A",
                    "-t",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    str(self.socket_dir),
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-d",
                    database,
                    "-c",
                    sql,
                ]
            ),
            what="psql",
            timeout=60,
        )

    def _provision(self) -> None:
        s = self.settings
        for name in (s.owner_role, s.app_role, s.database):
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise StackError(f"not a plain SQL identifier: {name!r}")
        owner_pw = s.owner_password.get_secret_value().replace("'", "''")
        app_pw = s.app_password.get_secret_value().replace("'", "''")
        self._psql(
            f"""DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{s.owner_role}') THEN
    CREATE ROLE {s.owner_role};
  END IF;
  ALTER ROLE {s.owner_role} LOGIN CREATEDB CREATEROLE PASSWORD '{owner_pw}';
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{s.app_role}') THEN
    CREATE ROLE {s.app_role} LOGIN PASSWORD '{app_pw}';
  END IF;
END $$;"""
        )
        exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{s.database}'")
        if not exists.strip():
            self._psql(f"CREATE DATABASE {s.database} OWNER {s.owner_role}")

    def stop(self) -> None:
        """Stop the server (fast shutdown); no postgres process of ours is left."""
        if self.pid() is None:
            return
        bindir = _bindir()
        if bindir is None:
            raise StackError("pg_ctl not found")
        run(
            self._as_server(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    "60",
                    "stop",
                ]
            ),
            what="stopping PostgreSQL",
            timeout=90,
        )

    def purge(self) -> None:
        """Delete the cluster's files (after stop)."""
        shutil.rmtree(self.base, ignore_errors=True)


def _reachable_by_postgres(home: Path) -> bool:
    """Whether the postgres OS user can traverse to ``home`` (mktemp dirs are 0700 root)."""
    home.mkdir(parents=True, exist_ok=True)
    try:
        run(["runuser", "-u", _OS_USER, "--", "test", "-x", str(home)], what="access check")
    except StackError:
        return False
    return True
