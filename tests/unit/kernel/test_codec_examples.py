"""Given the spec's worked cases, the codec accepts every event and hashes it as §2 says."""
from __future__ import annotations

from collections import defaultdict

import orjson
import pytest

from custodes import codec
from custodes.canonical import ZERO_HASH, canonical_bytes_reference
from custodes.events import NODE_TYPES, Event
from custodes.timefmt import parse_ms

from .examples import example_lines

LINES = example_lines()


@pytest.mark.parametrize("case,line,raw", LINES, ids=[f"{c}:{n}" for c, n, _ in LINES])
def test_every_example_event_is_accepted_with_its_derived_facts(case: str, line: int, raw: bytes) -> None:
    event = codec.decode(raw)
    assert isinstance(event, Event), getattr(event, "reason", event)
    wire = orjson.loads(raw)
    assert event.raw == wire
    assert isinstance(event.data, NODE_TYPES[wire["type"]])
    assert event.time_ms == parse_ms(wire["time"])
    assert event.party == wire["source"].rsplit(":", 1)[1]
    assert codec.encode(event) == canonical_bytes_reference(wire)


def test_the_examples_hash_chains_link_up_except_where_the_tamper_case_says() -> None:
    """Our hash of event n is the prevhash the node wrote into event n+1: the hash is §2's."""
    chains: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for case, _, raw in LINES:
        event = codec.decode(raw)
        assert isinstance(event, Event)
        chains[(case, event.source)].append(event)
    broken = []
    for (case, source), events in chains.items():
        events.sort(key=lambda e: e.seq)
        previous = ZERO_HASH
        for event in events:
            if event.prevhash != previous:
                broken.append((case, source, event.seq))
            previous = event.hash
    assert broken == [("integrity-tamper", "urn:ebsp:node:DE", 3)]


def test_text_input_decodes_like_bytes() -> None:
    _, _, raw = LINES[0]
    assert codec.decode(raw.decode()) == codec.decode(raw)


def test_decode_dict_accepts_what_decode_accepts() -> None:
    _, _, raw = LINES[0]
    assert codec.decode_dict(orjson.loads(raw)) == codec.decode(raw)


def test_encode_of_an_event_or_its_wire_dict_is_the_canonical_form() -> None:
    _, _, raw = LINES[0]
    event = codec.decode(raw)
    assert isinstance(event, Event)
    assert codec.encode(event) == codec.encode(event.raw) == canonical_bytes_reference(event.raw)
    assert codec.decode(codec.encode(event)) == event
