"""Appending the dashboard's own events to the platform chain (urn:ebsp:platform).

The chain has one writer at a time: every writer takes the transaction-level
advisory lock `PLATFORM_CHAIN_LOCK` and reads the head (seq, hash, time) from
`platform_events` inside that transaction, so the live processor and any
number of dashboard processes extend the same chain without forks. Envelope
times never go backwards (§2): an event's time is the later of the wall clock
and the head's time.
"""
from __future__ import annotations

import time
from typing import Any

import msgspec
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from custodes.canonical import ZERO_HASH
from custodes.codec import build, encode
from custodes.events import Event
from custodes.parties import PLATFORM_SOURCE
from store.models import PlatformEvent

# The pg_advisory_xact_lock key every writer of platform_events takes (one definition, the store's).
from store.platform_chain import PLATFORM_CHAIN_LOCK


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def append(db: Session, type_: str, data: msgspec.Struct | dict[str, Any],
           finding_id: str | None = None, at_ms: int | None = None) -> Event:
    """Build the next platform event and add it to `db`'s transaction (caller commits)."""
    db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PLATFORM_CHAIN_LOCK})
    head = db.execute(select(PlatformEvent.seq, PlatformEvent.hash, PlatformEvent.time_ms)
                      .order_by(PlatformEvent.seq.desc()).limit(1)).first()
    seq, prevhash, head_ms = (head[0], head[1], head[2]) if head else (0, ZERO_HASH, 0)
    time_ms = max(at_ms if at_ms is not None else now_ms(), head_ms)
    event = build(source=PLATFORM_SOURCE, type=type_, time_ms=time_ms, seq=seq + 1,
                  prevhash=prevhash, data=data)
    db.add(PlatformEvent(seq=event.seq, id=event.id, type=event.type, time_ms=time_ms,
                         hash=event.hash, prevhash=event.prevhash, finding_id=finding_id,
                         canonical=encode(event)))
    db.flush()
    return event
