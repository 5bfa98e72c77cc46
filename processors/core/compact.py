"""Compact forms for state the rule core keeps per transfer, for days or months.

A live processor holds one retention clock per transfer not yet deleted (a
million is ordinary), so the bytes per entry decide whether it fits in memory.
Event ids are only kept to be cited as evidence when a finding is built. As a
36-character `str` an id costs 85 bytes. As the 16 bytes of its UUID it costs
49 as a `bytes` object, or 16 inside a `bytearray`. `pack_id` uses the short
form only when `unpack_id` gives back exactly the same string (a lowercase
canonical UUID, which is what nodes send). Any other id (upper case, not a
UUID: the spec does not forbid them in tests) stays a `str`. So the evidence
of a finding is always the id as the node sent it.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any


def unpack_id(packed: bytes | str) -> str:
    """The event id as the node sent it."""
    if isinstance(packed, str):
        return packed
    h = packed.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_last: list[object] = ["", ""]  # (id, packed) of the previous call: rules of one event share it


def pack_id(event_id: str) -> bytes | str:
    """16 bytes when the id is a lowercase canonical UUID (round trip checked), else the str."""
    if event_id is _last[0]:
        return _last[1]  # type: ignore[return-value]
    _last[0], _last[1] = event_id, (packed := _pack(event_id))
    return packed


def _pack(event_id: str) -> bytes | str:
    if len(event_id) == 36 and event_id[8] == event_id[13] == event_id[18] == event_id[23] == "-":
        try:
            packed = bytes.fromhex(event_id.replace("-", ""))
        except ValueError:
            return event_id
        # 16 bytes from the 32 characters between the dashes: they are all hex
        # digits (whitespace would give fewer bytes), so the lowercase form is
        # exactly what `unpack_id` gives back
        if len(packed) == 16 and event_id.lower() == event_id:
            return packed
    return event_id


class IdList:
    """An append-only list of event ids that stores packed UUIDs at 16 bytes each
    (one `bytearray`). Order is not kept across the two forms: evidence is sorted
    anyway."""

    __slots__ = ("_other", "_packed")

    def __init__(self) -> None:
        self._packed = bytearray()
        self._other: list[str] | None = None

    def append(self, event_id: str) -> None:
        packed = pack_id(event_id)
        if isinstance(packed, bytes):
            self._packed += packed
        elif self._other is None:
            self._other = [packed]
        else:
            self._other.append(packed)

    def __len__(self) -> int:
        return len(self._packed) // 16 + (len(self._other) if self._other else 0)

    def __iter__(self) -> Iterator[str]:
        data = bytes(self._packed)
        for i in range(0, len(data), 16):
            yield unpack_id(data[i:i + 16])
        if self._other:
            yield from self._other


_TIME = struct.Struct(">q")
_last_transfer: list[Any] = [None, None]  # (event, record): RET-1 and MAT-1 share one


def transfer_record(event: Any) -> bytes | None:
    """A `transfer.sent` event's facts as one bytes object, built once per event and
    shared by the rules that keep them (RET-1's fresh clock, MAT-1's wait): time
    (8 bytes), special-categories flag (1), the packed event id (16), then
    recipient, sender, case_id, query_id and transfer_id separated by NUL. About
    105 bytes in all. None when that would not round-trip (an id that does not
    pack, a NUL in a fact): the rules then keep their own plain forms."""
    if event is _last_transfer[0]:
        return _last_transfer[1]  # type: ignore[no-any-return]
    t = event.data
    packed = pack_id(event.id)
    text = f"{t.recipient}\0{t.sender}\0{t.case_id}\0{t.query_id}\0{t.transfer_id}"
    rec = None
    if type(packed) is bytes and text.count("\0") == 4:
        try:
            rec = _TIME.pack(event.time_ms) + (b"\1" if t.special_categories else b"\0") \
                + packed + text.encode("utf-8", "surrogatepass")
        except struct.error:  # a time beyond 64 bits
            rec = None
    _last_transfer[0], _last_transfer[1] = event, rec
    return rec


def transfer_facts(rec: bytes) -> tuple[int, bool, bytes, list[str]]:
    """(time_ms, special, packed event id, [recipient, sender, case_id, query_id,
    transfer_id]) of a `transfer_record`."""
    return (_TIME.unpack_from(rec)[0], rec[8] == 1, rec[9:25],
            rec[25:].decode("utf-8", "surrogatepass").split("\0"))
