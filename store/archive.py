"""The event archive: rows for accepted events, the COPY that stores them, and the
readers used to rebuild state, replay (`audit replay --from-archive`) and export.

Rows are written with COPY (the archive is the hot path's biggest write) in the
same transaction as the projections and positions. The database refuses
UPDATE/DELETE/TRUNCATE on the table (trigger of migration 0001).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson
import psycopg

from custodes.codec import decode_dict, encode
from custodes.events import Event
from custodes.timefmt import to_datetime as ts

# Payload fields that name a party: the dashboard filters the archive by scope on them.
PARTY_FIELDS: tuple[str, ...] = (
    "requesting_party", "requested_party", "responding_party", "sender", "recipient", "party",
    "originating_party", "lodged_with", "concerns_party",
)
COLUMNS = ("ingest_no", "topic", "partition", "offset", "source", "party", "seq", "id", "type",
           "time_ms", "event_time", "hash", "prevhash", "case_id", "parties", "disposition",
           "canonical")
# Binary COPY: no text escaping of the canonical bytes (hex doubled them) on either side.
_COPY = "COPY archive_events ({}) FROM STDIN (FORMAT BINARY)".format(
    ", ".join('"offset"' if c == "offset" else c for c in COLUMNS))
_TYPES = ("int8", "text", "int4", "int8", "text", "varchar", "int8", "text", "text", "int8",
          "timestamptz", "varchar", "varchar", "text", "text[]", "varchar", "bytea")


_PARTY_FIELDS_OF: dict[type, tuple[str, ...]] = {}


class Coordinates(NamedTuple):
    topic: str
    partition: int
    offset: int


def parties_of(event: Event) -> list[str]:
    """The source's party and every party named in the payload, sorted, without repeats."""
    fields = _PARTY_FIELDS_OF.get(type(event.data))
    if fields is None:
        fields = _PARTY_FIELDS_OF[type(event.data)] = tuple(
            f for f in PARTY_FIELDS if f in getattr(type(event.data), "__struct_fields__", ()))
    data = event.data
    found = {event.party} if event.party else set()
    for name in fields:
        value = getattr(data, name)
        if value is not None:
            found.add(value)
    return sorted(found)


def case_of(event: Event) -> str | None:
    value = getattr(event.data, "case_id", None)
    return value if type(value) is str else None


def archive_row(ingest_no: int, where: Coordinates, event: Event,
                disposition: str = "accepted") -> tuple[Any, ...]:
    """The archive row of an event, in `COLUMNS` order."""
    return (ingest_no, where.topic, where.partition, where.offset, event.source, event.party,
            event.seq, event.id, event.type, event.time_ms, ts(event.time_ms), event.hash,
            event.prevhash, case_of(event), parties_of(event), disposition, encode(event))


def copy_rows(cur: psycopg.Cursor[Any], rows: list[tuple[Any, ...]]) -> None:
    """Store archive rows with COPY (caller owns the transaction)."""
    if not rows:
        return
    with cur.copy(_COPY) as copy:
        copy.set_types(_TYPES)
        write = copy.write_row
        for row in rows:
            write(row)


def iter_archive(conn: psycopg.Connection[Any], *, since_ms: int | None = None,
                 until_ms: int | None = None, party: str | None = None,
                 chunk: int = 5000) -> Iterator[tuple[int, bytes]]:
    """(ingest_no, canonical bytes) in ingestion order, optionally a time/party slice.

    A server-side cursor streams the table, so the archive never has to fit in memory.
    """
    where: list[str] = []
    params: list[int | str] = []
    if since_ms is not None:
        where.append("time_ms >= %s")
        params.append(since_ms)
    if until_ms is not None:
        where.append("time_ms < %s")
        params.append(until_ms)
    if party is not None:
        where.append("parties @> ARRAY[%s]::text[]")
        params.append(party)
    sql = "SELECT ingest_no, canonical FROM archive_events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY ingest_no"
    with conn.cursor(name="custodes_archive_reader") as cur:
        cur.itersize = chunk
        cur.execute(sql, params)
        for ingest_no, canonical in cur:
            yield int(ingest_no), bytes(canonical)


def event_of(canonical: bytes) -> Event:
    """An archived event back as an `Event` (it was valid when archived)."""
    out = decode_dict(orjson.loads(canonical))
    if not isinstance(out, Event):  # the archive only holds validated events
        raise ValueError(f"archived event no longer decodes: {out.reason}")
    return out
