"""Framing of §2: an event written to Kafka or JSONL reads back as the same event."""
from __future__ import annotations

import io

from custodes import wire
from custodes.codec import Rejection, decode
from custodes.events import Event, RemedyExtended
from custodes.signing import NodeChain, NodeKey

from .examples import first_query_line


def test_kafka_framing_keys_by_party_and_carries_canonical_bytes() -> None:
    event = decode(first_query_line())
    assert isinstance(event, Event)
    assert wire.message_key(event) == b"US"
    assert decode(wire.message_value(event)) == event
    assert wire.HEADERS == [("content-type", b"application/cloudevents+json")]


def test_jsonl_round_trip_reports_bad_lines_by_number() -> None:
    chain = NodeChain(NodeKey.from_seed("DE", "DE-1", b"s"))
    text = "Zeugin: «Jürgen»\u2028\nzweite Zeile"
    events = [
        chain.emit("ebsp.remedy.extended.v1", RemedyExtended(remedy_id=f"R-{n}", party="DE",
                                                             reason=text), 1_000 + n)
        for n in range(2)
    ]
    buffer = io.BytesIO(wire.jsonl_line(events[0]) + b"\n" + b"not json\n" + wire.jsonl_line(events[1]))
    read = list(wire.read_jsonl(buffer))
    assert [n for n, _ in read] == [1, 3, 4]
    assert read[0][1] == events[0] and read[2][1] == events[1]
    assert isinstance(read[1][1], Rejection) and read[1][1].raw == b"not json"
