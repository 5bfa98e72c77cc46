"""Framing of §2: a node's events are keyed by its party and carry the CloudEvents header."""
from __future__ import annotations

from custodes import wire
from custodes.codec import decode
from custodes.events import Event

from .examples import first_query_line


def test_kafka_framing_keys_by_party_and_says_structured_cloudevent() -> None:
    event = decode(first_query_line())
    assert isinstance(event, Event)
    assert wire.message_key(event) == b"US"
    assert wire.HEADERS == [("content-type", b"application/cloudevents+json")]
