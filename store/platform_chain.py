"""Extending the platform's chain (source urn:ebsp:platform) with findings, inside a batch's transaction.

The chain has several writers (this processor's findings, the dashboard's
access and review events), so the head is never cached: each writer takes the
transaction-level advisory lock `PLATFORM_CHAIN_LOCK` and reads the head (seq,
hash, time) inside the transaction that appends (see docs/decisions.md,
"Dashboard: access events and the platform chain"). Envelope times are the
findings' `observed_at`, but never before the head's time (§2).
"""
from __future__ import annotations

from typing import Any

import psycopg

from custodes.canonical import ZERO_HASH
from custodes.codec import build, encode
from custodes.events import TYPE_OF, FindingRaised, FindingResolved
from custodes.parties import PLATFORM_SOURCE
from custodes.timefmt import parse_ms

PLATFORM_CHAIN_LOCK = 0x637573746F646573  # "custodes" in ASCII, shared with oversight_ui
Output = FindingRaised | FindingResolved
_INSERT = """
INSERT INTO platform_events (seq, id, type, time_ms, hash, prevhash, finding_id, canonical)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"""


def append_outputs(cur: psycopg.Cursor[Any], outputs: list[Output]) -> dict[str, int]:
    """Append one platform event per output; {finding_id: seq} of the raised ones."""
    if not outputs:
        return {}
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (PLATFORM_CHAIN_LOCK,))
    cur.execute("SELECT seq, hash, time_ms FROM platform_events ORDER BY seq DESC LIMIT 1")
    head = cur.fetchone()
    seq, prevhash, head_ms = (int(head[0]), head[1], int(head[2])) if head else (0, ZERO_HASH, 0)
    rows, seqs = [], {}
    for out in outputs:
        time_ms = max(head_ms, parse_ms(out.observed_at))
        event = build(source=PLATFORM_SOURCE, type=TYPE_OF[type(out)], time_ms=time_ms,
                      seq=seq + 1, prevhash=prevhash, data=out)
        rows.append((event.seq, event.id, event.type, time_ms, event.hash, event.prevhash,
                     out.finding_id, encode(event)))
        if type(out) is FindingRaised:
            seqs[out.finding_id] = event.seq
        seq, prevhash, head_ms = event.seq, event.hash, time_ms
    cur.executemany(_INSERT, rows)
    return seqs
