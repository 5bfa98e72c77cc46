"""The result cache in the app: repeated pages of a scope are served from it while the
data version stands still, and recomputed as soon as the store moves."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from test_ui_overdue import add_clock
from ui_test_helpers import access_events, csrf_of, finding_id, platform_head

from oversight_ui.settings import UISettings

pytestmark = pytest.mark.integration


@pytest.fixture
def settings() -> UISettings:
    return UISettings(refresh_s=1, live_max_messages=1, page_size=50, result_cache=64)


def _cache(app):
    return app.state.result_cache


def test_repeated_pages_are_kept_and_still_recorded(app, conn, user_client) -> None:
    client = user_client("dpa:DE")
    head = platform_head(conn)
    first = client.get("/api/overview").json()
    hits = _cache(app).hits
    assert client.get("/api/overview").json() == first
    assert client.get("/").status_code == 200  # the page shares the overview's entry
    assert client.get("/api/retention?status=overdue").json() == client.get(
        "/api/retention?status=overdue").json()
    assert _cache(app).hits == hits + 3
    assert [e["view"] for e in access_events(conn, head)] == ["overview"] * 3 + ["retention"] * 2


def test_scopes_never_share_an_entry(user_client) -> None:
    de = user_client("dpa:DE").get("/api/findings").json()
    fr = user_client("dpa:FR").get("/api/findings").json()
    assert {r["rule"] for r in de["rows"]} == {"RET-1", "HRV-1"}
    assert {r["rule"] for r in fr["rows"]} == {"SRC-1"}


def test_a_processor_batch_moves_the_version(conn, user_client) -> None:
    client = user_client("dpa:IT")
    assert client.get("/api/overview").json()["overdue_deletions"] == 0
    # Written behind the processor's back: the version did not move, the kept result stands.
    add_clock(conn, "cache-x", "US", "IT", -timedelta(days=2), "open")
    assert client.get("/api/overview").json()["overdue_deletions"] == 0
    # A batch upserts processor_state in the transaction of its rows: now it shows.
    conn.execute(text("UPDATE processor_state SET events_ingested = events_ingested + 1"))
    assert client.get("/api/overview").json()["overdue_deletions"] == 1


def test_closing_a_finding_is_seen_at_once(conn, user_client) -> None:
    client = user_client("dpa:DE")
    before = client.get("/api/overview").json()["open_findings"]
    fid = finding_id(conn, "RET-1")
    resp = client.post(f"/api/findings/{fid}/close", json={"comment": "done"},
                       headers={"X-CSRF-Token": csrf_of(client)})
    assert resp.status_code == 200, resp.text
    assert client.get("/api/overview").json()["open_findings"] == before - 1
    rows = client.get("/api/findings?status=closed").json()["rows"]
    assert [r["finding_id"] for r in rows] == [fid]
