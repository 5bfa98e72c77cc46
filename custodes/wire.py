"""How an event travels on Kafka (SPEC §2): its key and its header.

Producers, the live processors and the stack's smoke test must frame events
the same way, so the framing lives here once: the message key is the source's
party code (one node's log stays in `seq` order in one partition), the value
is the event's canonical bytes (`custodes.codec.encode`), and the header says
it is a structured CloudEvent.
"""
from __future__ import annotations

from custodes.events import Event

CONTENT_TYPE = "application/cloudevents+json"
HEADERS: list[tuple[str, bytes]] = [("content-type", CONTENT_TYPE.encode())]
PLATFORM_KEY = b"platform"


def message_key(event: Event) -> bytes:
    """Kafka key: the source's party code (platform events: b"platform")."""
    return event.party.encode() if event.party else PLATFORM_KEY
