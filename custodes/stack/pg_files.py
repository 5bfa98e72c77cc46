"""Where the local PostgreSQL cluster lives, and the commands that run on it.

initdb and pg_ctl refuse to run as root, so when we are root they run as the
`postgres` user (created by Debian's postgresql package) on directories it owns.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from custodes.stack.errors import StackError
from custodes.stack.layout import Layout

PG_GLOB = "/usr/lib/postgresql/*/bin"


def server_user() -> str:
    """The OS user that owns and runs the cluster: `postgres` for root, else ourselves."""
    return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def bin_dir(version: str | None = None) -> Path:
    """The server binaries: of `version` if given, else the newest installed."""
    found = sorted(
        (p for p in Path("/").glob(PG_GLOB.lstrip("/")) if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if version is not None:
        found = [p for p in found if p.parent.name == version]
        if not found:
            raise StackError(f"the cluster was made by PostgreSQL {version}, which is not "
                             f"installed: `apt-get install postgresql-{version}`.")
    if not found:
        raise StackError("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: "
                         "run `bash scripts/setup.sh` (it installs Debian's postgresql).")
    return found[-1]


def home(layout: Layout, create: bool) -> Path:
    """The cluster's directory: `.local/pg`, or a /var/tmp fallback when the
    server user cannot enter the checkout (e.g. a checkout under /root)."""
    local = layout.state / "pg"
    fallback = layout.pg_fallback
    if not create:
        return fallback if (fallback / "data").is_dir() and not (local / "data").is_dir() else local
    for candidate in (local, fallback):
        candidate.mkdir(parents=True, exist_ok=True)
        _own(candidate)
        if run_as_server(["test", "-x", str(candidate)], cwd=Path("/")).returncode == 0:
            return candidate
    raise StackError(f"the {server_user()} user can enter neither {local} nor {fallback}.")


def socket_dir(pg_home: Path, layout: Layout) -> Path:
    """Unix sockets have a ~107 byte path limit: fall back to a short path when needed."""
    run = pg_home / "run"
    if len(str(run / ".s.PGSQL.15432")) > 100:
        run = layout.pg_fallback.parent / "run"
    run.mkdir(parents=True, exist_ok=True)
    _own(run)
    return run


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user=server_user(), group=server_user())


def run_as_server(argv: Sequence[str], cwd: Path,
                  new_session: bool = False) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool as the server user, capturing its output."""
    user = server_user()
    as_other = os.geteuid() == 0 and user != "root"
    if as_other:
        try:
            pwd.getpwnam(user)
        except KeyError:
            raise StackError("there is no `postgres` user: run `bash scripts/setup.sh` "
                             "(Debian's postgresql package creates it).") from None
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
           "HOME": str(cwd)}
    return subprocess.run(
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL, start_new_session=new_session,
        user=user if as_other else None, group=user if as_other else None,
        extra_groups=[] if as_other else None,
    )
