"""Connections and schema management: SQLAlchemy engines, raw psycopg connections
for the hot path, and `migrate` (Alembic upgrade to head) for processors and tests.

Nothing connects at import time: callers pass the URL they were configured with.
"""
from __future__ import annotations

from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def psycopg_dsn(database_url: str) -> str:
    """A libpq DSN from a SQLAlchemy URL (postgresql+psycopg://...), for psycopg.connect."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def connect_raw(database_url: str, autocommit: bool = False) -> psycopg.Connection:
    """A plain psycopg 3 connection: COPY and pipelined executemany without the ORM."""
    return psycopg.connect(psycopg_dsn(database_url), autocommit=autocommit)


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    cfg.attributes["url"] = database_url
    return cfg


def migrate(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent: already at head is a no-op)."""
    command.upgrade(alembic_config(database_url), revision)
