"""The dashboard's door to the platform chain (urn:ebsp:platform).

The chain is extended by one function only, the store's `append_events`
(lock, head read, build, insert in the caller's transaction), which the live
processor uses too; this module hands it the ORM session's connection and
supplies the wall clock. Envelope times never go backwards (§2): an event's
time is the later of the wall clock and the head's time.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, cast

import psycopg
from sqlalchemy.orm import Session

from custodes.events import Event
from store.platform_chain import Pending, append_events

__all__ = ["Pending", "append", "now_ms"]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def append(db: Session, pending: Sequence[Pending]) -> list[Event]:
    """Append the events within `db`'s transaction (the caller commits)."""
    db.flush()  # rows the session still holds go first, as they would in SQL order
    conn = cast(psycopg.Connection[Any], db.connection().connection.driver_connection)
    with conn.cursor() as cur:
        return append_events(cur, pending)
