"""Client-side checks on PostgreSQL: does it answer SQL with our credentials."""
from __future__ import annotations

import time

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def libpq_url(database_url: str) -> str:
    """`postgresql+psycopg://…` (SQLAlchemy) → `postgresql://…` (libpq, psycopg.connect)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False
    )


def pg_answers(database_url: str, timeout_s: float = 3.0) -> bool:
    """True when `select 1` succeeds at `database_url`."""
    try:
        with psycopg.connect(libpq_url(database_url), connect_timeout=max(1, int(timeout_s))) as conn:
            return conn.execute("select 1").fetchone() == (1,)
    except psycopg.Error:
        return False


def create_database(database_url: str, name: str) -> str:
    """CREATE DATABASE `name` on the server of `database_url`; return its URL (same driver)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(database_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str, name: str, attempts: int = 5) -> None:
    """DROP DATABASE `name`, closing any connection a test left open on it.

    WITH (FORCE) refuses when a backend of a role we are not a member of (an
    autovacuum worker, say) is still attached for a moment; that passes, so
    the drop is retried a few times with a short pause before giving up.
    """
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    for attempt in range(1, attempts + 1):
        try:
            with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
                conn.execute(statement)
            return
        except psycopg.errors.InsufficientPrivilege:
            if attempt == attempts:
                raise
            time.sleep(0.5 * attempt)
