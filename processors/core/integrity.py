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
source, the id's 16 bytes to the event's whole 32-byte hash:
a truncated hash would let a node search for a second event whose prefix
matches (2^30 tries for 60 bits) and have it silently ignored as a duplicate
instead of raising INT-1.

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
_DUPLICATE = Seen.DUPLICATE
_CONFLICT = Seen.CONFLICT
_fromhex = bytes.fromhex
_int = int.from_bytes


def _identity(event_id: str, source: str) -> bytes:
    """16 bytes for the id within its source: the UUID's bytes (ids are UUIDs, the
    codec checks; hex case is not significant), else a 128-bit digest of the text."""
    if len(event_id) == 36:
        try:
            key = _fromhex(event_id.replace("-", ""))
        except ValueError:
            key = b""
        if len(key) == 16:
            return key
    return blake2b(f"{source}\n{event_id}".encode("utf-8", "surrogatepass"),
                   digest_size=16).digest()


def _mark(hash_hex: str) -> bytes:
    """The whole event hash as 32 bytes (see the module doc: never a prefix)."""
    try:
        mark = _fromhex(hash_hex)
    except ValueError:
        mark = b""
    if len(mark) == 32:
        return mark
    # not 64 hex digits (only hand-built events): a digest of the text, tagged
    return b"?" + blake2b(hash_hex.encode("utf-8", "surrogatepass"), digest_size=32).digest()


class Identities:
    """(source, id) -> whole event hash, for duplicate and conflict detection.

    Per source, a dict from the id's 16 bytes to the hash's 32, both as ints
    (`int.from_bytes(bytes.fromhex(...))` is twice as fast as `int(..., 16)`, and
    the ints take 16 bytes less than the bytes objects: about 145 per event). A packed table of 48-byte records in bytearray buckets took
    about 75 but cost 1-3 µs more per event (a Python-level probe and bucket
    splits), so dicts stay."""

    __slots__ = ("_index",)

    def __init__(self) -> None:
        self._index: dict[str, dict[int, int]] = {}

    def classify(self, event: Event) -> Seen:
        """Whether the event is new, a duplicate or a conflict (nothing is stored)."""
        known = self._index.get(event.source, {}).get(_int(_identity(event.id, event.source)))
        if known is None:
            return _NEW
        return _DUPLICATE if known == _int(_mark(event.hash)) else _CONFLICT

    def admit(self, event: Event) -> Seen:
        """`classify`, and remember the event when it is NEW (the engine's hot path)."""
        source, eid = event.source, event.id
        index = self._index.get(source)
        if index is None:
            index = self._index[source] = {}
        try:
            key = _fromhex(eid.replace("-", ""))
            mark = _fromhex(event.hash)
        except ValueError:
            key = mark = b""
        if len(key) != 16 or len(eid) != 36:
            key = _identity(eid, source)
        if len(mark) != 32:
            mark = _mark(event.hash)
        key_int, mark_int = _int(key), _int(mark)
        known = index.get(key_int)
        if known is None:
            index[key_int] = mark_int
            return _NEW
        return _DUPLICATE if known == mark_int else _CONFLICT

    def __len__(self) -> int:
        return sum(len(index) for index in self._index.values())


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
