"""Deep nesting in a free-form field: the verdict never depends on whitespace.

msgspec (the fast path) reads and writes any depth; orjson's `dumps` (the
reference, SPEC §2 canonical bytes) stops at its recursion limit. A deeply
nested `filters` of `ebsp.oversight.accessed.v1` must get the slow path's
rejection (same field, same reason) whether the line is byte-for-byte
canonical or not, through `decode`, `decode_lines` and `decode_dict` alike;
an accepted event's `raw` must always have canonical bytes.
"""
from __future__ import annotations

import json
import re
from typing import Any

import orjson
import pytest

from custodes import codec
from custodes.canonical import canonical_bytes
from custodes.codec import Rejection

_POSITION = re.compile(r": line \d+ column \d+ \(char \d+\)")
ID = "01ddf78c-72e8-595a-b89e-815cb4faaa18"


def _line(filters_json: bytes) -> bytes:
    wire: dict[str, Any] = {
        "specversion": "1.0", "id": ID, "source": "urn:ebsp:platform",
        "type": "ebsp.oversight.accessed.v1", "time": "2026-01-05T08:00:00.000Z",
        "datacontenttype": "application/json", "seq": 1, "prevhash": "0" * 64,
        "data": {"user": "u", "role": "edps", "scope": "EU", "view": "findings",
                 "filters": {"x": 1}, "result_count": 3},
    }
    line = orjson.dumps(wire, option=orjson.OPT_SORT_KEYS)
    assert b'"x":1' in line
    return line.replace(b'"x":1', b'"x":' + filters_json)


def _layouts(depth: int) -> list[bytes]:
    nested = b"[" * depth + b"]" * depth
    canonical = _line(nested)
    return [
        canonical,                                    # byte-for-byte canonical
        canonical + b"\n",                            # trailing newline
        canonical.replace(b'"x":', b'"x": '),         # one space
        b" " + canonical,                             # leading space
        canonical.replace(b"[[", b"[ ["),             # whitespace inside the nesting
    ]


@pytest.mark.parametrize("depth", [253, 254, 255, 300, 1000, 1100, 5000])
def test_deep_filters_verdict_is_the_same_for_every_layout(depth: int) -> None:
    verdicts = []
    for line in _layouts(depth):
        fast = codec.decode(line)
        slow = codec._decode_slow(line)
        (lined,) = list(codec.decode_lines([line]))
        for r in (fast, lined):
            assert type(r) is type(slow)
            if isinstance(slow, Rejection):
                assert isinstance(r, Rejection)
                assert (r.field, r.reason) == (slow.field, slow.reason)
            else:
                assert r.hash == slow.hash and r.canonical == slow.canonical  # type: ignore[union-attr]
        # beyond orjson's parse depth the reason names where, which moves with the layout
        reason = _POSITION.sub("", getattr(fast, "reason", ""))
        verdicts.append((type(fast), getattr(fast, "field", None), reason))
    assert len(set(verdicts)) == 1, verdicts


def test_300_levels_are_rejected_like_the_slow_path_says() -> None:
    for line in _layouts(300):
        r = codec.decode(line)
        assert isinstance(r, Rejection)
        assert r.field is None
        assert r.reason == "not serialisable as canonical JSON: Recursion limit reached"


@pytest.mark.parametrize("depth", [1, 50, 253, 254, 255, 300])
def test_accepted_events_have_canonical_raw_and_decode_dict_agrees(depth: int) -> None:
    line = _line(b"[" * depth + b"]" * depth)
    r = codec.decode(line)
    d = json.loads(line)
    again = codec.decode_dict(d)
    assert type(r) is type(again)
    if isinstance(r, Rejection):
        assert isinstance(again, Rejection) and (r.field, r.reason) == (again.field, again.reason)
    else:
        assert canonical_bytes(r.raw) == r.canonical == line
        assert again.hash == r.hash  # type: ignore[union-attr]


def test_shallow_filters_still_decode() -> None:
    line = _line(b'{"party":["DE",{"min":5}]}')
    r = codec.decode(line)
    assert not isinstance(r, Rejection) and r.canonical == line
