"""What runs where in the local stack: addresses, topics, directories.

One place for these facts: the stack commands, the settings' defaults
(`custodes.settings`), the test fixtures and the docker-compose check all read
them from here. Ports are fixed (not configurable) because several checkouts
on one machine share one stack.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
KAFKA_PORT = 19092
KAFKA_CONTROLLER_PORT = 19093
PG_PORT = 15432
PG_USER = "custodes"
PG_PASSWORD = "custodes"
PG_DATABASE = "custodes"

KAFKA_BOOTSTRAP = f"{HOST}:{KAFKA_PORT}"
DATABASE_URL = (
    f"postgresql+psycopg://{PG_USER}:{PG_PASSWORD}@{HOST}:{PG_PORT}/{PG_DATABASE}"
)

#: Topics of SPEC §2 (before `CUSTODES_TOPIC_PREFIX`, see `custodes.settings`).
EVENTS_TOPIC = "ebsp.events.v1"
FINDINGS_TOPIC = "ebsp.findings.v1"
QUARANTINE_TOPIC = "ebsp.quarantine.v1"

#: The topics `custodes stack up` creates, with their partition counts.
TOPICS: dict[str, int] = {EVENTS_TOPIC: 4, FINDINGS_TOPIC: 1, QUARANTINE_TOPIC: 1}

#: Where `custodes stack smoke` sends its probe (never the node-events topic).
SMOKE_TOPIC = "custodes.stack.smoke"


def stack_env() -> dict[str, str]:
    """The environment variables (read by `custodes.settings`) that point at the local stack."""
    return {"KAFKA_BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP, "DATABASE_URL": DATABASE_URL}


@dataclass(frozen=True)
class Layout:
    """Directories of one checkout: sources in `root`, runtime state in `root/.local`."""

    root: Path

    @property
    def state(self) -> Path:
        return self.root / ".local"

    @property
    def pom(self) -> Path:
        return self.root / "ops" / "kafka" / "pom.xml"

    @property
    def kafka_ops(self) -> Path:
        return self.root / "ops" / "kafka"

    @property
    def kafka(self) -> Path:
        return self.state / "kafka"

    @property
    def kafka_libs(self) -> Path:
        return self.kafka / "libs"

    @property
    def kafka_data(self) -> Path:
        return self.kafka / "data"

    @property
    def kafka_logs(self) -> Path:
        return self.kafka / "logs"

    @property
    def kafka_pid(self) -> Path:
        return self.state / "kafka.pid"

    @property
    def pg_fallback(self) -> Path:
        """Used when the `postgres` user cannot enter the checkout (e.g. under /root)."""
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
        return Path("/var/tmp") / f"custodes-{digest}" / "pg"


def find_root() -> Path:
    """The checkout this command belongs to.

    `CUSTODES_ROOT` wins; else the checkout around the current directory (the
    scripts run from the checkout's root); else the one holding this package
    (editable install); else the current directory. The current directory comes
    before the package so that a venv copied or shared between checkouts never
    makes one checkout start or stop another's services.
    """
    if env_root := os.environ.get("CUSTODES_ROOT"):
        return Path(env_root).resolve()
    cwd = Path.cwd().resolve()
    for parent in (cwd, *cwd.parents, *Path(__file__).resolve().parents):
        if (parent / "pyproject.toml").is_file() and (parent / "ops" / "kafka").is_dir():
            return parent
    return cwd


def find_layout() -> Layout:
    return Layout(find_root())
