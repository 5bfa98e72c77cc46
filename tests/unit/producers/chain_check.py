"""Independent check of SPEC §2 chains: seq, prevhash, time order, checkpoint heads and signatures."""
from __future__ import annotations

from collections import defaultdict

from custodes.canonical import ZERO_HASH
from custodes.events import CHECKPOINT_TYPE, Event


def by_source(events: list[Event]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        out[e.source].append(e)
    return out


def chain_breaks(events: list[Event], trust) -> list[str]:
    """INT-1 keys of every break, checked independently of the rule engine."""
    breaks = []
    for source, evs in by_source(events).items():
        prev_hash, prev_seq, prev_time = ZERO_HASH, 0, 0
        for e in evs:
            ok = e.seq == prev_seq + 1 and e.prevhash == prev_hash and e.time_ms >= prev_time
            if e.type == CHECKPOINT_TYPE:
                d = e.data
                ok = ok and d.head_seq == prev_seq and d.head_hash == prev_hash
                ok = ok and trust.verify_checkpoint(e.party, d.key_id, d.head_hash, d.signature) is None
            if not ok:
                breaks.append(f"{source}/{e.seq}")
            prev_hash, prev_seq, prev_time = e.hash, e.seq, e.time_ms
    return breaks
