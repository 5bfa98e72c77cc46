"""`codec.decode_lines`: the batch reader's decode gives `decode`'s verdict on every line."""
from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodes import codec

from .examples import example_lines
from .test_codec_properties import mutated_events


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def test_every_spec_example_line_and_blank_lines() -> None:
    lines = [raw for _, _, raw in example_lines()]
    batch = lines + [b"", b"   ", b"\t\r", b"not json", b"[]", b"{}", b"\xff\xfe", lines[0] + b"  "]
    out = list(codec.decode_lines(batch))
    assert len(out) == len(batch)
    for line, got in zip(batch, out):
        if not line or line.isspace():
            assert got is None
        else:
            assert _same(got, codec.decode(line)), line


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated_events(), min_size=1, max_size=5))
def test_mutated_events_in_a_batch_agree_with_decode(wires: list[dict[str, Any]]) -> None:
    lines = []
    for wire in wires:
        try:
            lines.append(orjson.dumps(wire, option=orjson.OPT_SORT_KEYS))
        except (orjson.JSONEncodeError, TypeError):
            continue
    for line, got in zip(lines, codec.decode_lines(lines)):
        assert _same(got, codec.decode(line))
