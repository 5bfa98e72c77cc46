"""The fast path of the codec is a shortcut, never a second opinion.

`codec._fast` decodes a whole event with one typed msgspec call and hashes the
input itself when re-encoding it gives the same bytes (the input is then its
own canonical form, SPEC §2). Whatever the layout of the input (escapes,
whitespace, key order, duplicate keys, a trailing newline, extension
attributes), `decode` must give exactly what the slow path gives
(`codec._decode_slow`: orjson, checks by hand, msgspec.convert), and the hash
must be that of the stdlib's canonical bytes.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodes import codec
from custodes.canonical import canonical_bytes_reference
from custodes.events import Event

from .examples import example_lines
from .test_codec_properties import WIRE, mutated_events, valid_queries

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LINES = [raw for _, _, raw in example_lines()]


def _layouts(wire: dict[str, Any]) -> dict[str, bytes]:
    """The same event written in ways that are and are not canonical."""
    canonical = canonical_bytes_reference(wire)
    return {
        "canonical": canonical,
        "ascii escapes": json.dumps(wire, sort_keys=True, separators=(",", ":")).encode(),
        "whitespace": json.dumps(wire, sort_keys=True, ensure_ascii=False).encode(),
        "indented": json.dumps(wire, indent=2, ensure_ascii=False).encode(),
        "reversed keys": json.dumps(dict(reversed(wire.items())), ensure_ascii=False,
                                    separators=(",", ":")).encode(),
        "escaped slashes": canonical.replace(b"/", b"\\/"),
        "trailing newline": canonical + b"\n",
        "crlf": canonical + b"\r\n",
        "leading space": b" " + canonical,
        "extension": canonical_bytes_reference({**wire, "traceparent": "00-ab-cd-01"}),
    }


def assert_agrees(raw: bytes) -> Event | codec.Rejection:
    out = codec.decode(raw)
    assert out == codec._decode_slow(raw)
    fast = codec._fast(raw)
    if fast is not None:  # never accepts what the slow path rejects
        assert fast == out
    if isinstance(out, Event):
        reference = canonical_bytes_reference(orjson.loads(raw))
        assert out.canonical == reference
        assert out.hash == hashlib.sha256(reference).hexdigest()
        assert out.raw == orjson.loads(raw)
    return out


@pytest.mark.parametrize("wire", WIRE[:40], ids=lambda w: f"{w['type']}/{w['seq']}")
def test_every_layout_of_the_spec_examples_gives_the_same_event(wire: dict[str, Any]) -> None:
    layouts = _layouts(wire)
    events = {name: assert_agrees(raw) for name, raw in layouts.items()}
    assert codec._fast(layouts["extension"]) is None  # extension attributes: the slow path
    assert all(codec._fast(raw) is not None for name, raw in layouts.items() if name != "extension")
    assert all(isinstance(e, Event) for e in events.values())
    base = events.pop("canonical")
    ext = events.pop("extension")
    assert all(e == base for e in events.values())
    assert ext.hash != base.hash  # an extension attribute is part of the hashed event


def test_canonical_spec_examples_take_the_fast_path_and_hash_their_own_bytes() -> None:
    for raw in LINES:
        canonical = canonical_bytes_reference(orjson.loads(raw))
        event = codec._fast(canonical)
        assert event is not None
        assert event.canonical == canonical
        assert event.hash == hashlib.sha256(canonical).hexdigest()


@FAST
@given(valid_queries(), st.sampled_from(
    ["canonical", "ascii escapes", "whitespace", "reversed keys", "escaped slashes", "extension"]))
def test_generated_text_in_any_layout(event: Event, layout: str) -> None:
    """Control characters, quotes, backslashes, U+2028, astral characters, ..."""
    raw = _layouts(event.raw)[layout]
    out = assert_agrees(raw)
    if layout != "extension":
        assert out == event


@FAST
@given(mutated_events(), st.booleans())
def test_mutations_agree_with_the_slow_path(wire: dict[str, Any], ascii_only: bool) -> None:
    for raw in (canonical_bytes_reference(wire) if _encodable(wire) else None,
                json.dumps(wire, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")):
        if raw is not None:
            assert_agrees(raw)


def _encodable(wire: dict[str, Any]) -> bool:
    try:
        canonical_bytes_reference(wire)
    except (UnicodeEncodeError, ValueError):
        return False
    return True


def _query() -> bytes:
    wire = next(w for w in WIRE if w["type"] == "ebsp.query.submitted.v1")
    return canonical_bytes_reference(wire)


@pytest.mark.parametrize(("old", "new"), [
    (b'"records_requested":1', b'"records_requested":1.0'),           # a float is no integer
    (b'"records_requested":1', b'"records_requested":1e0'),
    (b'"records_requested":1', b'"records_requested":-0'),            # -0 is 0: below 1
    (b'"records_requested":1', b'"records_requested":18446744073709551616'),
    (b'"records_requested":1', b'"records_requested":9223372036854775808'),
    (b'"seq":', b'"seq":-0,"x":'),
    (b'"records_requested":1', b'"records_requested":2,"records_requested":1'),  # duplicate key
    (b'"specversion":"1.0"', b'"specversion":"1.0","specversion":"1.0"'),
    (b'"subject_nationality":"', b'"subject_nationality":"\\u0046\\u0052", "x":"'),
    (b'"legal_basis":"', b'"legal_basis":"\\u00e9 \\/ \\ud83d\\ude00 '),  # escapes of é, /, an emoji
    (b'"legal_basis":"', b'"legal_basis":"\xc3\xa9 / \xf0\x9f\x98\x80 '),   # the same, unescaped
    (b'"legal_basis":"', b'"legal_basis":"\\ud800'),                   # a lone surrogate
    (b'"subject_nationality":"', b'"subject_nationality":"\\n'),
    (b'"specversion":"1.0"', b'"specversion":"1.0","Ext":1'),
    (b'"specversion":"1.0"', b'"specversion":"1.0","ext":1.5'),
])
def test_tricky_inputs_agree_with_the_slow_path(old: bytes, new: bytes) -> None:
    raw = _query()
    assert old in raw
    assert_agrees(raw.replace(old, new, 1))


def test_a_duplicate_key_is_hashed_as_the_value_orjson_reads() -> None:
    raw = _query().replace(b'"records_requested":1', b'"records_requested":2,"records_requested":1')
    event = assert_agrees(raw)
    assert isinstance(event, Event) and event.canonical == _query()


def test_raw_is_a_fresh_dict_each_time_and_encode_is_the_canonical_bytes() -> None:
    event = codec.decode(_query())
    assert isinstance(event, Event)
    first = event.raw
    first["data"]["purpose"] = "other"  # type: ignore[index]
    assert event.raw == orjson.loads(_query())
    assert codec.encode(event) is event.canonical
