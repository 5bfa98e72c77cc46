"""The local PostgreSQL cluster: initdb once, pg_ctl start/stop, the custodes role and database."""
from __future__ import annotations

import time
from pathlib import Path

from custodes.stack import pg_files, procs
from custodes.stack.errors import StackError
from custodes.stack.layout import (
    DATABASE_URL,
    HOST,
    PG_DATABASE,
    PG_PASSWORD,
    PG_PORT,
    PG_USER,
    Layout,
)
from custodes.stack.pg_client import pg_answers
from custodes.stack.ports import PortTaken, port_is_free
from custodes.stack.progress import Progress
from custodes.stack.service import ServiceStatus

NAME = "postgres"
APP_ROLE = "custodes_app"  # the application role of the migrations (store/migrations 0001)
ADDRESS = f"{HOST}:{PG_PORT}"


def running_pid(data: Path) -> int | None:
    """The postmaster of `data`, from its postmaster.pid, if alive."""
    try:
        pid = int((data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if procs.is_alive(pid, str(data)) else None


def up(layout: Layout, progress: Progress, timeout_s: float = 30.0) -> None:
    if not port_is_free(HOST, PG_PORT) and running_pid(_data(layout, create=False)) is None:
        if not pg_answers(DATABASE_URL, timeout_s=5.0):
            raise PortTaken(f"{ADDRESS} is in use but no PostgreSQL with the custodes role "
                            f"answers there. Find the program with `ss -ltnp 'sport = :{PG_PORT}'`.")
        progress.say(NAME, f"already running on {ADDRESS} (not started from this checkout: "
                           "another checkout's stack); using it")
        return
    home = pg_files.home(layout, create=True)
    data = home / "data"
    if not (data / "PG_VERSION").is_file():
        _initdb(data, home)
        progress.say(NAME, f"cluster created in {data}")
    bins = pg_files.bin_dir((data / "PG_VERSION").read_text().strip())
    pid = running_pid(data)
    if pid is not None:
        progress.say(NAME, f"already running (pid {pid})")
    else:
        sock = pg_files.socket_dir(home, layout)
        done = pg_files.run_as_server([
            str(bins / "pg_ctl"), "-D", str(data), "-l", str(home / "postgres.log"),
            "-w", "-t", str(int(timeout_s)), "start",
            "-o", f"-p {PG_PORT} -k {sock} -c listen_addresses={HOST}",
        ], cwd=home, new_session=True)
        if done.returncode != 0:
            raise StackError(f"PostgreSQL did not start:\n{done.stdout}{done.stderr}\n"
                             f"--- last lines of {home / 'postgres.log'} ---\n"
                             f"{procs.tail(home / 'postgres.log')}")
        progress.say(NAME, f"started on {ADDRESS} (pid {running_pid(data)})")
    _ensure_role_and_database(bins, home, pg_files.socket_dir(home, layout))
    _wait_sql(progress, home, timeout_s)


def _initdb(data: Path, home: Path) -> None:
    done = pg_files.run_as_server([
        str(pg_files.bin_dir() / "initdb"), "-D", str(data), "-U", pg_files.server_user(),
        "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
        "--no-instructions",
    ], cwd=home)
    if done.returncode != 0:
        raise StackError(f"initdb failed for {data}:\n{done.stdout}{done.stderr}")


def _psql(bins: Path, home: Path, sock: Path, sql: str) -> str:
    done = pg_files.run_as_server([
        str(bins / "psql"), "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-h", str(sock),
        "-p", str(PG_PORT), "-U", pg_files.server_user(), "-d", "postgres", "-c", sql,
    ], cwd=home)
    if done.returncode != 0:
        raise StackError(f"psql failed on `{sql}`:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def _ensure_role_and_database(bins: Path, home: Path, sock: Path) -> None:
    """The owner role (LOGIN, CREATEDB for test databases), its database, and the
    application role `custodes_app` a DBA would create, so that every migration's
    grants (and the archive's REVOKEs) run in development and CI as in production."""
    _psql(bins, home, sock, f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_USER}') THEN
            CREATE ROLE {PG_USER} LOGIN CREATEDB PASSWORD '{PG_PASSWORD}';
        END IF;
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} NOLOGIN;
        END IF; END $$""")
    if not _psql(bins, home, sock, f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'"):
        _psql(bins, home, sock, f"CREATE DATABASE {PG_DATABASE} OWNER {PG_USER}")


def _wait_sql(progress: Progress, home: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not pg_answers(DATABASE_URL, timeout_s=2.0):
        if time.monotonic() > deadline:
            raise StackError(f"PostgreSQL does not answer `select 1` as {PG_USER} on {ADDRESS} "
                             f"within {timeout_s:.0f} s.\n--- last lines of "
                             f"{home / 'postgres.log'} ---\n{procs.tail(home / 'postgres.log')}")
        time.sleep(0.3)
    progress.say(NAME, f"answers SQL as {PG_USER} on {ADDRESS}, database {PG_DATABASE}")


def down(layout: Layout, progress: Progress) -> None:
    data = _data(layout, create=False)
    pid = running_pid(data)
    if pid is None:
        progress.say(NAME, f"running on {ADDRESS} but not started from this checkout: left running"
                     if pg_answers(DATABASE_URL, 2.0) else "not running")
        return
    progress.say(NAME, f"stopping pid {pid}")
    bins = pg_files.bin_dir((data / "PG_VERSION").read_text().strip())
    done = pg_files.run_as_server([str(bins / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                                   "-t", "60", "stop"], cwd=data.parent)
    if done.returncode != 0:
        raise StackError(f"pg_ctl stop failed:\n{done.stdout}{done.stderr}")
    progress.say(NAME, "stopped")


def _data(layout: Layout, create: bool) -> Path:
    return pg_files.home(layout, create=create) / "data"


def status(layout: Layout) -> ServiceStatus:
    data = _data(layout, create=False)
    return ServiceStatus(name=NAME, address=f"{ADDRESS}, database {PG_DATABASE}",
                         answering=pg_answers(DATABASE_URL, 3.0), pid=running_pid(data),
                         data_dir=data, log=data.parent / "postgres.log")
