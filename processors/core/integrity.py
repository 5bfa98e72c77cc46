"""INT-1: every node's log is one unbroken, signed hash chain; plus event identity.

Per source, in the order events are given (replay sorts each source by seq;
live, a partition delivers them in order): the seq must be the previous + 1
(a gap or a repeat otherwise), `prevhash` the previous event's hash (64 zeros
before seq 1), `time` must not go back, and a checkpoint's `head_seq` /
`head_hash` must be the previous event's, with a signature that verifies
against the trust file (checked only when a Trust is given). One finding per
offending event, listing every problem; key ``<source>/<seq>`` with the seq as
received; party the source's; critical; case_id null. Verification then
continues from that event: its hash is the next expected prevhash.

Identity (SPEC §7): an event with the same source and id as one already seen
is a duplicate when its hash is identical (ignored) and a conflict otherwise
(INT-1 for it, and it is not evaluated further). The index maps, per
source, the id's 16 bytes to the event's whole 32-byte hash: a truncated hash
would let a node search for a second event whose prefix matches (2^30 tries
for 60 bits) and have it silently ignored as a duplicate instead of raising
INT-1. Records are packed (`_Table`): about 60 bytes per event.

The same pass tracks each node's latest checkpoint time: the low watermark
of SPEC §5 is their minimum, undefined while a node seen has none.
"""
from __future__ import annotations

import enum
from hashlib import blake2b
from typing import Any

from custodes.canonical import ZERO_HASH
from custodes.events import CHECKPOINT_TYPE, Event, NodeCheckpoint
from processors.core.findings import Output, raised


class Seen(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


_NEW = Seen.NEW
fromhex = bytes.fromhex
_DUPLICATE = Seen.DUPLICATE
_CONFLICT = Seen.CONFLICT
_REC = 48          # bytes per record: the 16-byte id key, then the 32-byte hash
_PER_BUCKET = 8    # mean records per bucket before a bucket is split (short scans)
_HMASK = (1 << 62) - 1


def id_key(event_id: str, source: str) -> bytes:
    """16 bytes standing for the event id within its source: the UUID's own bytes
    (ids are UUIDs, the codec checks; hex case is not significant, as before), else
    a 128-bit digest of source and id."""
    if len(event_id) == 36:
        try:
            key = bytes.fromhex(event_id.replace("-", ""))
        except ValueError:
            key = b""
        if len(key) == 16:
            return key
    return blake2b(f"{source}\n{event_id}".encode("utf-8", "surrogatepass"),
                   digest_size=16).digest()


class _Table:
    """One source's (id key -> 32-byte hash) index, packed: records of 48 bytes in
    bytearray buckets, grown by linear hashing (one bucket split at a time, so no
    pause rehashes everything). About 60 bytes per event where a dict of ints took
    about 160. A bucket is searched with `bytearray.find` (C); a match only counts
    at a record boundary."""

    __slots__ = ("_buckets", "_level", "_limit", "_n", "_split")

    def __init__(self) -> None:
        self._buckets: list[bytearray] = [bytearray()]
        self._level = 1      # bucket of h: h % level, or h % (2 * level) below `_split`
        self._split = 0
        self._n = 0
        self._limit = _PER_BUCKET

    def lookup(self, key: bytes, mark: bytes) -> Seen:
        """NEW (not stored), DUPLICATE or CONFLICT."""
        h = hash(key) & _HMASK
        i = h % self._level
        if i < self._split:
            i = h % (2 * self._level)
        b = self._buckets[i]
        pos = b.find(key)
        while pos > 0 and pos % _REC:
            pos = b.find(key, pos + 1)
        if pos < 0:
            return _NEW
        return _DUPLICATE if b.startswith(mark, pos + 16) else _CONFLICT

    def admit(self, key: bytes, mark: bytes) -> Seen:
        """`lookup`, and store the record when it is NEW (the engine's hot path)."""
        h = hash(key) & _HMASK
        level = self._level
        i = h % level
        if i < self._split:
            i = h % (2 * level)
        b = self._buckets[i]
        pos = b.find(key)
        while pos > 0 and pos % _REC:
            pos = b.find(key, pos + 1)
        if pos >= 0:
            return _DUPLICATE if b.startswith(mark, pos + 16) else _CONFLICT
        b += key
        b += mark
        self._n = n = self._n + 1
        if n > self._limit:
            self._grow()
        return _NEW

    def _grow(self) -> None:
        """Split the next bucket in line between itself and a new last bucket."""
        level, split = self._level, self._split
        data = bytes(self._buckets[split])
        m = 2 * level
        recs = [data[o:o + _REC] for o in range(0, len(data), _REC)]
        self._buckets[split] = bytearray(b"".join(
            [r for r in recs if (hash(r[:16]) & _HMASK) % m == split]))
        self._buckets.append(bytearray(b"".join(   # index split + level
            [r for r in recs if (hash(r[:16]) & _HMASK) % m != split])))
        split += 1
        if split == level:
            level, split = m, 0
        self._level, self._split = level, split
        self._limit = _PER_BUCKET * len(self._buckets)

    def __len__(self) -> int:
        return self._n


class Identities:
    """(source, id) -> whole event hash, for duplicate and conflict detection."""

    __slots__ = ("_tables",)

    def __init__(self) -> None:
        self._tables: dict[str, _Table] = {}

    def _table(self, source: str) -> _Table:
        t = self._tables.get(source)
        if t is None:
            t = self._tables[source] = _Table()
        return t

    def classify(self, event: Event) -> Seen:
        """Whether the event is new, a duplicate or a conflict (nothing is stored)."""
        return self._table(event.source).lookup(id_key(event.id, event.source), _mark(event.hash))

    def admit(self, event: Event) -> Seen:
        """`classify`, and remember the event when it is NEW (the engine's hot path:
        `_Table.admit` inline)."""
        source = event.source
        table = self._tables.get(source)
        if table is None:
            table = self._tables[source] = _Table()
        eid = event.id
        try:  # the common case inline: a UUID id and a 64-hex-digit hash
            key = fromhex(eid.replace("-", ""))
            mark = fromhex(event.hash)
        except ValueError:
            key = mark = b""
        if len(key) != 16 or len(eid) != 36:
            key = id_key(eid, source)
        if len(mark) != 32:
            mark = _mark(event.hash)
        h = hash(key) & _HMASK
        level = table._level
        i = h % level
        if i < table._split:
            i = h % (2 * level)
        b = table._buckets[i]
        pos = b.find(key)
        while pos > 0 and pos % _REC:
            pos = b.find(key, pos + 1)
        if pos >= 0:
            return _DUPLICATE if b.startswith(mark, pos + 16) else _CONFLICT
        b += key
        b += mark
        table._n = n = table._n + 1
        if n > table._limit:
            table._grow()
        return _NEW

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())


def _mark(hash_hex: str) -> bytes:
    """The event hash as 32 bytes (the whole of it: see the module doc)."""
    try:
        mark = bytes.fromhex(hash_hex)
    except ValueError:
        mark = b""
    if len(mark) != 32:  # not 64 hex digits (only hand-built events): a digest of the text
        mark = blake2b(hash_hex.encode("utf-8", "surrogatepass"), digest_size=32).digest()
    return mark


class Integrity:
    """Chain verification per source, and checkpoint times for the watermark."""

    def __init__(self, trust: Any | None = None) -> None:
        self._trust = trust
        # source -> [last seq, last hash, last time]
        self._chains: dict[str, list[Any]] = {}
        self._checkpoints: dict[str, int] = {}

    def on_event(self, event: Event, out: list[Output]) -> None:
        source = event.source
        chain = self._chains.get(source)
        if chain is None:
            chain = self._chains[source] = [0, ZERO_HASH, event.time_ms]
        last_seq, last_hash, last_time = chain
        problems: list[str] | None = None
        seq = event.seq
        if seq != last_seq + 1:
            problems = [f"seq {seq} repeats or precedes seq {last_seq}" if seq <= last_seq
                        else f"seq jumps from {last_seq} to {seq}"]
        if event.prevhash != last_hash:
            (problems := problems or []).append(
                f"prevhash is not the hash of the previous event (seq {last_seq})")
        if event.time_ms < last_time:
            (problems := problems or []).append("time goes back from the previous event")
        if event.type == CHECKPOINT_TYPE:
            self._checkpoints[source] = event.time_ms
            cp: NodeCheckpoint = event.data  # type: ignore[assignment]
            if cp.head_seq != last_seq or cp.head_hash != last_hash:
                (problems := problems or []).append(
                    f"checkpoint head (seq {cp.head_seq}) differs from the chain (seq {last_seq})")
            if self._trust is not None:
                reason = self._trust.verify_checkpoint(
                    event.party, cp.key_id, cp.head_hash, cp.signature)
                if reason is not None:
                    (problems := problems or []).append(f"checkpoint signature: {reason}")
        chain[0], chain[1], chain[2] = seq, event.hash, event.time_ms
        if problems:
            out.append(self._finding(event, problems))

    def conflict(self, event: Event, out: list[Output]) -> None:
        """The same source and id as an earlier event, with different content."""
        out.append(self._finding(
            event, ["same source and id as an earlier event, with different content"]))

    def _finding(self, event: Event, problems: list[str]) -> Output:
        return raised(
            rule="INT-1", key=f"{event.source}/{event.seq}", severity="critical",
            party=event.party, case_id=None, evidence=(event.id,), observed_ms=event.time_ms,
            summary=f"{event.source} seq {event.seq} ({event.type}): " + "; ".join(problems),
        )

    @property
    def watermark_ms(self) -> int | None:
        """Min over nodes seen of their latest checkpoint time; None while one has none."""
        if not self._chains or len(self._checkpoints) < len(self._chains):
            return None
        return min(self._checkpoints.values())

    def chain_heads(self) -> dict[str, tuple[int, str]]:
        """(seq, hash) of the last event seen per source: node health for the dashboards."""
        return {s: (c[0], c[1]) for s, c in self._chains.items()}
