"""Quarantine rows (§7): the original bytes (base64), where they were read, and why."""
from __future__ import annotations

import base64
from typing import Any

import orjson
from psycopg.types.json import Jsonb

from store.archive import Coordinates


def quarantine_row(where: Coordinates, key: bytes | None, raw: bytes, *, kind: str, reason: str,
                   field: str | None, source: str | None, event_id: str | None,
                   seq: int | None, details: dict[str, Any] | None = None) -> tuple[Any, ...]:
    """A row for `quarantine`, in the column order of `store.batch._QUARANTINE`."""
    return (where.topic, where.partition, where.offset,
            key.decode("utf-8", "replace") if key is not None else None,
            base64.b64encode(raw).decode("ascii"), kind, reason, field, source, event_id, seq,
            Jsonb(details) if details is not None else None)


def quarantine_message(row: dict[str, Any]) -> bytes:
    """The ebsp.quarantine.v1 message for a stored quarantine row (JSON, original bytes base64)."""
    return orjson.dumps({
        "quarantine_id": row["id"], "topic": row["topic"], "partition": row["partition"],
        "offset": row["offset"], "key": row["key"], "raw_b64": row["raw_b64"],
        "kind": row["kind"], "reason": row["reason"], "field": row["field"],
        "source": row["source"], "id": row["event_id"], "seq": row["seq"],
        "received_at": row["received_at"].isoformat() if row.get("received_at") else None,
    })
