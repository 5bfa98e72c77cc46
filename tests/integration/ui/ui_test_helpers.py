"""Shared test helpers: access events written by the app, findings by rule."""
from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text


def access_events(conn: Any, after_seq: int = 0) -> list[dict[str, Any]]:
    rows = conn.execute(text("SELECT seq, canonical FROM platform_events "
                             "WHERE type = 'ebsp.oversight.accessed.v1' AND seq > :s ORDER BY seq"),
                        {"s": after_seq}).all()
    return [orjson.loads(r.canonical)["data"] for r in rows]


def platform_head(conn: Any) -> int:
    return conn.execute(text("SELECT coalesce(max(seq), 0) FROM platform_events")).scalar_one()


def finding_id(conn: Any, rule: str) -> str:
    return conn.execute(text("SELECT finding_id FROM findings WHERE rule = :r"), {"r": rule}).scalar_one()
