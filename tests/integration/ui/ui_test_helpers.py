"""Shared test helpers: access events written by the app, findings by rule."""
from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import text

PASSWORD = "correct horse battery staple"


def access_events(conn: Any, after_seq: int = 0) -> list[dict[str, Any]]:
    rows = conn.execute(text("SELECT seq, canonical FROM platform_events "
                             "WHERE type = 'ebsp.oversight.accessed.v1' AND seq > :s ORDER BY seq"),
                        {"s": after_seq}).all()
    return [orjson.loads(r.canonical)["data"] for r in rows]


def platform_head(conn: Any) -> int:
    return conn.execute(text("SELECT coalesce(max(seq), 0) FROM platform_events")).scalar_one()


def finding_id(conn: Any, rule: str) -> str:
    return conn.execute(text("SELECT finding_id FROM findings WHERE rule = :r"), {"r": rule}).scalar_one()


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/"}, follow_redirects=False)


def csrf_of(client: TestClient) -> str:
    html = client.get("/").text
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]
