"""Alembic environment: one lineage for the whole Custodes database.

The URL is taken, in order, from `config.attributes["url"]` (set by
`store.db.migrate`), `-x url=...`, or DATABASE_URL: never stored in a file.
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("no database URL: set DATABASE_URL or pass -x url=...")
    return str(url)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
