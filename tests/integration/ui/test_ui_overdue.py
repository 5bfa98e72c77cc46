"""One meaning of "overdue" everywhere: an open clock with an open RET-1 finding.

The store's view `retention_clocks_status` (migration 0101) is the ground truth;
the overview's tile, the per-recipient split, the status filter and the status
column of the retention page must say the same thing for every scope, also for
clocks whose displayed deadline disagrees with the rule core.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from ui_test_helpers import csrf_of

from custodes.parties import EU_PARTIES, US
from processors.core.findings import finding_id

pytestmark = pytest.mark.integration

ROLES = ("dpa:DE", "dpa:FR", "dpa:IT", "edps", "us-privacy", "joint-review", "auditor")


def _scope_parties(role: str) -> set[str] | None:
    if role.startswith("dpa:"):
        return {role[4:]}
    return {"edps": set(EU_PARTIES), "us-privacy": {US}}.get(role)


def truth(conn: Any, role: str) -> dict[str, Counter[str]]:
    """Per recipient, the open clocks' statuses as the store's view computes them, in scope."""
    rows = conn.execute(text("SELECT sender, recipient, clock_status FROM retention_clocks_status "
                             "WHERE status = 'open'")).all()
    parties = _scope_parties(role)
    out: dict[str, Counter[str]] = {}
    for sender, recipient, status in rows:
        if parties is None or sender in parties or recipient in parties:
            out.setdefault(recipient, Counter())[status] += 1
    return out


def add_clock(conn: Any, tid: str, sender: str, recipient: str, deadline_from_wm: timedelta,
              ret1: str | None = None) -> None:
    """An open clock whose deadline is the watermark plus `deadline_from_wm`; with
    `ret1` ("open" or "resolved"), a RET-1 finding naming it."""
    conn.execute(text(
        "INSERT INTO retention_clocks (transfer_id, case_id, sender, recipient, sent_at, deadline, status) "
        "SELECT :t, 'C-' || :t, :s, :r, w - interval '20 days', w + :d, 'open' "
        "FROM (SELECT max(watermark) AS w FROM processor_state) x"),
        {"t": tid, "s": sender, "r": recipient, "d": deadline_from_wm})
    if ret1:
        conn.execute(text(
            "INSERT INTO findings (finding_id, rule, severity, party, case_id, key, evidence, due, "
            "observed_at, summary, status, resolved_at) "
            "SELECT :f, 'RET-1', 'violation', :r, 'C-' || :t, :t, ARRAY[]::text[], w, w, 'test', "
            "CAST(:st AS varchar), CASE WHEN CAST(:st AS varchar) = 'resolved' THEN w END "
            "FROM (SELECT max(watermark) AS w FROM processor_state) x"),
            {"f": finding_id("RET-1", tid), "t": tid, "r": recipient, "st": ret1})


@pytest.fixture
def mixed_clocks(conn: Any) -> None:
    """Clocks where deadline and verdict disagree, on both sides of the watermark."""
    add_clock(conn, "ov-late-no-finding", "IT", "US", -timedelta(days=3))        # due soon, not overdue
    add_clock(conn, "ov-moved-with-finding", "US", "IT", timedelta(days=10), "open")  # overdue
    add_clock(conn, "ov-resolved", "IT", "US", -timedelta(days=5), "resolved")   # due soon
    add_clock(conn, "ov-soon", "FR", "US", timedelta(days=1))                    # due soon
    add_clock(conn, "ov-later", "US", "FR", timedelta(days=30))                  # open
    add_clock(conn, "ov-overdue-fr", "FR", "US", -timedelta(days=1), "open")     # overdue


@pytest.mark.usefixtures("mixed_clocks")
@pytest.mark.parametrize("role", ROLES)
def test_overdue_counts_match_the_store_view_in_every_scope(conn, user_client, role) -> None:
    expected = truth(conn, role)
    client = user_client(role)
    overview = client.get("/api/overview").json()
    got = {r["recipient"]: Counter({k: r[k] for k in ("open", "due_soon", "overdue") if r[k]})
           for r in overview["retention_by_recipient"]}
    assert got == expected
    assert overview["overdue_deletions"] == sum(c["overdue"] for c in expected.values())
    if role == "joint-review":
        return
    for status in ("overdue", "due_soon", "open"):
        body = client.get(f"/api/retention?status={status}").json()
        assert body["total"] == sum(c[status] for c in expected.values()), status
        assert {r["clock_status"] for r in body["rows"]} <= {status}
    listed = client.get("/api/retention").json()
    assert listed["total"] == sum(sum(c.values()) for c in expected.values())


@pytest.mark.usefixtures("mixed_clocks")
def test_the_status_column_is_the_views_status(conn, user_client) -> None:
    view = dict(conn.execute(text("SELECT transfer_id, clock_status FROM retention_clocks_status "
                                  "WHERE transfer_id LIKE 'ov-%'")).all())
    rows = user_client("auditor").get("/api/retention").json()["rows"]
    shown = {r["transfer_id"]: r["clock_status"] for r in rows if r["transfer_id"].startswith("ov-")}
    assert shown == view
    assert view == {"ov-late-no-finding": "due_soon", "ov-moved-with-finding": "overdue",
                    "ov-resolved": "due_soon", "ov-soon": "due_soon", "ov-later": "open",
                    "ov-overdue-fr": "overdue"}


def test_resolving_the_finding_or_deleting_the_clock_ends_overdue(conn, user_client) -> None:
    add_clock(conn, "ov-x", "US", "IT", -timedelta(days=2), "open")
    client = user_client("dpa:IT")

    def overdue() -> int:
        return int(client.get("/api/overview").json()["overdue_deletions"])

    assert overdue() == 1
    conn.execute(text("UPDATE findings SET status = 'resolved', resolved_at = now() "
                      "WHERE key = 'ov-x'"))
    assert overdue() == 0
    add_clock(conn, "ov-y", "US", "IT", -timedelta(days=2), "open")
    assert overdue() == 1
    conn.execute(text("UPDATE retention_clocks SET status = 'deleted', deleted_at = now(), "
                      "deleted_by = 'IT' WHERE transfer_id = 'ov-y'"))
    assert overdue() == 0


def test_closing_the_finding_does_not_end_overdue(conn, user_client) -> None:
    """Closing is a supervisor's administrative status: the data is not deleted, the clock
    stays overdue until the rule core resolves the finding; the retention page says so."""
    add_clock(conn, "ov-closed", "US", "IT", -timedelta(days=2), "open")
    client = user_client("dpa:IT")
    assert client.get("/api/overview").json()["overdue_deletions"] == 1
    fid = finding_id("RET-1", "ov-closed")
    resp = client.post(f"/api/findings/{fid}/close", json={"comment": "handled offline"},
                       headers={"X-CSRF-Token": csrf_of(client)})
    assert resp.status_code == 200, resp.text
    assert client.get("/api/overview").json()["overdue_deletions"] == 1
    rows = client.get("/api/retention?status=overdue").json()["rows"]
    assert [r["transfer_id"] for r in rows] == ["ov-closed"]
    page = client.get("/retention").text
    assert "does not make the data deleted" in page
