"""How an event travels (SPEC §2): Kafka key, value and header, and JSONL lines.

Producers, the live processors and the audit tools must frame events the same
way, so the framing lives here once: the message key is the source's party
code (one node's log stays in `seq` order in one partition), the value is the
event's canonical bytes, and the header says it is a structured CloudEvent.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from custodes.codec import Rejection, decode, encode
from custodes.events import Event

CONTENT_TYPE = "application/cloudevents+json"
HEADERS: list[tuple[str, bytes]] = [("content-type", CONTENT_TYPE.encode())]
PLATFORM_KEY = b"platform"


def message_key(event: Event) -> bytes:
    """Kafka key: the source's party code (platform events: b"platform")."""
    return event.party.encode() if event.party else PLATFORM_KEY


def message_value(event: Event) -> bytes:
    """Kafka value: the canonical bytes of the event (what its hash is over)."""
    return encode(event)


def jsonl_line(event: Event) -> bytes:
    """One line of the JSONL interchange format (canonical JSON never contains a raw newline)."""
    return encode(event) + b"\n"


def read_jsonl(lines: Iterable[bytes]) -> Iterator[tuple[int, Event | Rejection]]:
    """(line number, Event or Rejection) for each non-blank line; never raises on content."""
    for number, line in enumerate(lines, start=1):
        stripped = line.rstrip(b"\r\n")
        if stripped.strip():
            yield number, decode(stripped)
