"""Extending the platform's chain (source urn:ebsp:platform) inside the caller's transaction.

The chain has several writers (this processor's findings, the dashboard's
access and review events), so the head is never cached: `append_events` takes
the transaction-level advisory lock `PLATFORM_CHAIN_LOCK` and reads the head
(seq, hash, time) inside the transaction that appends (see docs/decisions.md,
"Dashboard: access events and the platform chain"). It is the only code that
writes `platform_events`. Envelope times are the time each event asks for, but
never before the head's time (§2).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import psycopg

from custodes.canonical import ZERO_HASH
from custodes.codec import build, encode
from custodes.events import TYPE_OF, Event, FindingRaised, FindingResolved
from custodes.parties import PLATFORM_SOURCE
from custodes.timefmt import parse_ms

PLATFORM_CHAIN_LOCK = 0x637573746F646573  # "custodes" in ASCII, taken by every writer
Output = FindingRaised | FindingResolved
Payload = msgspec.Struct | dict[str, Any]
_INSERT = """
INSERT INTO platform_events (seq, id, type, time_ms, hash, prevhash, finding_id, canonical)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"""


@dataclass(frozen=True, slots=True)
class Pending:
    """A platform event to append. `data` may be a function of the events appended
    before it in the same call, for a payload that names them (a resolution whose
    evidence is the review appended just before); ids depend on the seq, which is
    only known under the lock."""

    type: str
    data: Payload | Callable[[list[Event]], Payload]
    time_ms: int
    finding_id: str | None = None


def append_events(cur: psycopg.Cursor[Any], pending: Sequence[Pending]) -> list[Event]:
    """Append the events, in order, under one lock and one head read; the caller commits."""
    if not pending:
        return []
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (PLATFORM_CHAIN_LOCK,))
    cur.execute("SELECT seq, hash, time_ms FROM platform_events ORDER BY seq DESC LIMIT 1")
    head = cur.fetchone()
    seq, prevhash, head_ms = (int(head[0]), head[1], int(head[2])) if head else (0, ZERO_HASH, 0)
    rows: list[tuple[Any, ...]] = []
    events: list[Event] = []
    for item in pending:
        time_ms = max(head_ms, item.time_ms)
        data = item.data(events) if callable(item.data) else item.data
        event = build(source=PLATFORM_SOURCE, type=item.type, time_ms=time_ms,
                      seq=seq + 1, prevhash=prevhash, data=data)
        rows.append((event.seq, event.id, event.type, time_ms, event.hash, event.prevhash,
                     item.finding_id, encode(event)))
        events.append(event)
        seq, prevhash, head_ms = event.seq, event.hash, time_ms
    cur.executemany(_INSERT, rows)
    return events


def append_outputs(cur: psycopg.Cursor[Any], outputs: list[Output]) -> dict[str, int]:
    """Append one platform event per rule output; {finding_id: seq} of the raised ones."""
    events = append_events(cur, [Pending(TYPE_OF[type(out)], out, parse_ms(out.observed_at), out.finding_id)
                                 for out in outputs])
    return {out.finding_id: event.seq for out, event in zip(outputs, events, strict=True)
            if type(out) is FindingRaised}
