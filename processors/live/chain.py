"""The platform's own event chain (source urn:ebsp:platform): findings as events.

Each finding raised or resolved becomes an `ebsp.finding.*.v1` event with
the next `seq` and the previous event's hash as `prevhash`. The chain's head
is stored with the batch that extends it (table platform_events), so after a
restart it continues where it stopped. Envelope times are the findings'
`observed_at`, kept non-decreasing as §2 requires of any source.
"""
from __future__ import annotations

from typing import Any

from custodes.canonical import ZERO_HASH
from custodes.codec import build, encode
from custodes.events import FindingRaised, FindingResolved, TYPE_OF
from custodes.parties import PLATFORM_SOURCE
from custodes.timefmt import parse_ms

Output = FindingRaised | FindingResolved


class PlatformChain:
    def __init__(self, seq: int = 0, head_hash: str = ZERO_HASH, time_ms: int = 0) -> None:
        self.seq, self.head_hash, self.time_ms = seq, head_hash, time_ms

    def append(self, output: Output) -> tuple[int, int, tuple[Any, ...]]:
        """(seq, observed_ms, platform_events row) for the event that records `output`."""
        observed = parse_ms(output.observed_at)
        time_ms = max(self.time_ms, observed)
        event = build(source=PLATFORM_SOURCE, type=TYPE_OF[type(output)], time_ms=time_ms,
                      seq=self.seq + 1, prevhash=self.head_hash, data=output)
        self.seq, self.head_hash, self.time_ms = event.seq, event.hash, time_ms
        row = (event.seq, event.id, event.type, time_ms, event.hash, event.prevhash,
               output.finding_id, encode(event))
        return event.seq, observed, row


def load_chain(conn: Any) -> PlatformChain:
    """The chain's head as stored (an empty chain on a new database)."""
    with conn.cursor() as cur:
        cur.execute("SELECT seq, hash, time_ms FROM platform_events ORDER BY seq DESC LIMIT 1")
        row = cur.fetchone()
    return PlatformChain() if row is None else PlatformChain(int(row[0]), row[1], int(row[2]))
