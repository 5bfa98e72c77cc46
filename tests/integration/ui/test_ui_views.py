"""What each role sees of the demo world, and what supervisors can do with it."""
from __future__ import annotations

import io
import itertools
import zipfile

import orjson
import pytest
from sqlalchemy import text
from ui_test_helpers import finding_id

from custodes.canonical import event_hash
from oversight_ui.demo_data import SECRET_CASE

pytestmark = pytest.mark.integration


def _rules(client) -> set[str]:
    return {r["rule"] for r in client.get("/api/findings").json()["rows"]}


@pytest.mark.parametrize("role, expected", [
    ("dpa:DE", {"RET-1", "HRV-1"}),       # DE sent the RET-1 transfer; DE decided (HRV-1)
    ("dpa:FR", {"SRC-1"}),
    ("dpa:AT", {"PUR-1"}),
    ("us-privacy", {"RET-1", "SRC-1", "PUR-1"}),  # the US is a party of these three
    ("edps", {"RET-1", "SRC-1", "PUR-1", "HRV-1"}),
    ("auditor", {"RET-1", "SRC-1", "PUR-1", "HRV-1"}),
])
def test_each_role_sees_exactly_the_findings_of_its_scope(user_client, role, expected) -> None:
    assert _rules(user_client(role)) == expected


def test_volumes_and_retention_numbers_for_dpa_de(user_client) -> None:
    client = user_client("dpa:DE")
    rows = client.get("/api/volumes").json()["rows"]
    pairs = {(r["from_party"], r["to_party"]): r for r in rows}
    assert set(pairs) == {("US", "DE"), ("DE", "US")}  # never FR-US or AT-US
    assert pairs[("US", "DE")]["queries"] == 1 and pairs[("US", "DE")]["hits"] == 1
    assert pairs[("DE", "US")]["transfers"] == 1
    assert pairs[("US", "DE")]["hit_rate"] == {"numerator": 1, "denominator": 1}
    def clocks(query: str = "") -> dict[str, str]:
        return {r["transfer_id"]: r["clock_status"] for r in client.get("/api/retention" + query).json()["rows"]}
    assert clocks() == {"t-1": "overdue"}  # open clocks, earliest deadline first
    assert clocks("?status=overdue") == {"t-1": "overdue"}
    assert clocks("?status=deleted") == {"t-4": "deleted"}
    assert clocks("?status=due_soon") == {}
    overview = client.get("/api/overview").json()
    assert overview["overdue_deletions"] == 1 and overview["open_findings"] == 2
    assert overview["watermark"] == "2026-03-22T08:00:00.000Z"


def test_other_views_are_scoped(user_client) -> None:
    fr = user_client("dpa:FR")
    assert [r["request_id"] for r in fr.get("/api/onward").json()["rows"]] == ["onw-1"]
    assert [r["remedy_id"] for r in fr.get("/api/remedies").json()["rows"]] == ["rem-1"]
    assert [r["party"] for r in fr.get("/api/quarantine").json()["rows"]] == ["FR"]
    assert {r["party"] for r in fr.get("/api/nodes").json()["rows"]} == {"FR"}
    de = user_client("dpa:DE")
    for view in ("onward", "remedies", "quarantine"):
        assert de.get(f"/api/{view}").json()["rows"] == [], view
    us = user_client("us-privacy")
    assert {r["party"] for r in us.get("/api/reciprocity").json()["rows"]} == {"DE", "FR"}
    assert {r["party"] for r in de.get("/api/reciprocity").json()["rows"]} == {"DE"}


def test_filters_narrow_the_register(user_client) -> None:
    client = user_client("edps")
    assert _rules(client) == {"RET-1", "SRC-1", "PUR-1", "HRV-1"}
    crit = client.get("/api/findings?severity=critical").json()["rows"]
    assert [r["rule"] for r in crit] == ["SRC-1"]
    assert [r["rule"] for r in client.get("/api/findings?party=US").json()["rows"]] == ["RET-1"]
    assert client.get("/api/findings?since=2026-04-01").json()["total"] == 0
    assert client.get("/api/findings?party=de").status_code == 422  # clear error, not empty rows


def test_drill_down_shows_evidence_with_chain_status_and_rule_text(conn, user_client) -> None:
    client = user_client("dpa:DE")
    fid = finding_id(conn, "RET-1")
    d = client.get(f"/api/findings/{fid}").json()
    assert d["case_id"] == "US-2026-000001" and d["parties_involved"] == ["DE", "US"]
    assert [e["type"] for e in d["evidence"]] == ["ebsp.transfer.sent.v1"]
    ev = d["evidence"][0]
    assert ev["chain"] == "verified" and event_hash(ev["event"]) == ev["hash"]
    assert "C-817/19" in d["rule_text"]["legal_basis"]
    page = client.get(f"/findings/{fid}").text
    assert "ebsp.transfer.sent.v1" in page and "verified" in page and "Legal basis" in page


def test_acknowledge_then_close_appends_chained_platform_events(conn, user_client) -> None:
    client = user_client("dpa:DE")
    fid = finding_id(conn, "HRV-1")
    token = client.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
    empty = client.post(f"/api/findings/{fid}/acknowledge", json={"comment": " "},
                        headers={"X-CSRF-Token": token})
    assert empty.status_code == 422
    ack = client.post(f"/api/findings/{fid}/acknowledge", json={"comment": "asked DE border police"},
                      headers={"X-CSRF-Token": token})
    assert ack.status_code == 200, ack.text
    assert client.get(f"/api/findings/{fid}").json()["status"] == "acknowledged"
    resp = client.post(f"/findings/{fid}/close", data={"comment": "review procedure fixed",
                                                      "csrf_token": token}, follow_redirects=False)
    assert resp.status_code == 303
    detail = client.get(f"/api/findings/{fid}").json()
    assert detail["status"] == "closed"
    assert [a["action"] for a in detail["actions"]] == ["acknowledged", "closed"]
    rows = conn.execute(text("SELECT seq, hash, prevhash, type, canonical FROM platform_events "
                             "ORDER BY seq")).all()
    for prev, cur in itertools.pairwise(rows):
        assert cur.prevhash == prev.hash and cur.seq == prev.seq + 1
        assert orjson.loads(cur.canonical)["time"] >= orjson.loads(prev.canonical)["time"]
    mine = [orjson.loads(r.canonical) for r in rows if r.type.startswith("ebsp.finding.")
            and orjson.loads(r.canonical)["data"]["finding_id"] == fid]
    types = [e["type"] for e in mine]
    assert types == ["ebsp.finding.raised.v1", "ebsp.finding.reviewed.v1",
                     "ebsp.finding.reviewed.v1", "ebsp.finding.resolved.v1"]
    assert mine[-1]["data"]["evidence"] == [mine[-2]["id"]]
    assert mine[-2]["data"]["comment"] == "review procedure fixed"
    again = client.post(f"/api/findings/{fid}/close", json={"comment": "twice"}, headers={"X-CSRF-Token": token})
    assert again.status_code == 409


def test_read_only_roles_cannot_act(conn, user_client) -> None:
    for role in ("auditor", "joint-review"):
        client = user_client(role)
        token = client.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
        resp = client.post(f"/api/findings/{finding_id(conn, 'RET-1')}/acknowledge",
                           json={"comment": "x"}, headers={"X-CSRF-Token": token})
        assert resp.status_code == 403, role


def test_csv_export_has_every_filtered_row(user_client) -> None:
    client = user_client("edps")
    resp = client.get("/export/findings.csv?severity=violation")
    assert resp.headers["content-type"].startswith("text/csv")
    lines = resp.text.strip().splitlines()
    assert lines[0].startswith("Finding,Rule,Severity")
    assert sorted(line.split(",")[1] for line in lines[1:]) == ["HRV-1", "PUR-1", "RET-1"]


def test_audit_bundle_replays_the_scope(conn, user_client) -> None:
    assert user_client("edps").get("/export/audit-bundle.zip").status_code == 403
    client = user_client("auditor")
    resp = client.get("/export/audit-bundle.zip?until=2026-03-31")
    assert resp.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(resp.content))
    lines = z.read("events.jsonl").splitlines()
    stored = conn.execute(text("SELECT count(*) FROM archive_events WHERE disposition = 'accepted'")).scalar_one()
    assert len(lines) == stored
    for line in lines:
        e = orjson.loads(line)
        assert orjson.dumps(e, option=orjson.OPT_SORT_KEYS) == line  # canonical form
    replay = z.read("REPLAY.txt").decode()
    assert ("custodes audit replay --events events.jsonl --horizon 2026-04-01T00:00:00.000Z "
            "--findings-out findings.jsonl") in replay
    assert "PARTIAL RECORD" not in replay  # the full record: INT-1 in its replay is real


def test_scoped_auditor_bundle_holds_only_its_party(user_client) -> None:
    client = user_client("auditor:DE")
    z = zipfile.ZipFile(io.BytesIO(client.get("/export/audit-bundle.zip").content))
    events = [orjson.loads(x) for x in z.read("events.jsonl").splitlines()]
    assert events and all(SECRET_CASE not in x.decode() for x in z.read("events.jsonl").splitlines())
    assert {e["source"] for e in events} <= {"urn:ebsp:node:DE", "urn:ebsp:node:US"}
    replay = z.read("REPLAY.txt").decode()
    assert "PARTIAL RECORD" in replay and "limited to the scope's parties" in replay and "INT-1" in replay


def test_a_bundle_with_since_warns_of_false_int1_on_replay(user_client) -> None:
    resp = user_client("auditor").get("/export/audit-bundle.zip?since=2026-03-15")
    replay = zipfile.ZipFile(io.BytesIO(resp.content)).read("REPLAY.txt").decode()
    assert "PARTIAL RECORD" in replay and "starts at `since`" in replay and "INT-1" in replay


def test_long_lists_are_paginated(factory, user_client) -> None:
    from fastapi.testclient import TestClient
    from ui_test_helpers import sign_in

    from oversight_ui.app import create_app
    from oversight_ui.auth.users import add_user
    from oversight_ui.settings import UISettings

    app = create_app(UISettings(page_size=3, live_max_messages=1), sessionmaker=factory)
    with factory() as db:
        add_user(db, "pager", "edps", "correct horse battery staple")
        db.commit()
    client = TestClient(app)
    sign_in(client, "pager")
    first = client.get("/api/findings").json()
    assert (first["total"], first["pages"], len(first["rows"])) == (4, 2, 3)
    second = client.get("/api/findings?page=2").json()
    assert len(second["rows"]) == 1
    assert not {r["finding_id"] for r in first["rows"]} & {r["finding_id"] for r in second["rows"]}
    html = client.get("/findings?severity=").text
    assert "Page 1 of 2" in html and 'rel="next"' in html and "page=2" in html


def _live_version(client) -> str:
    body = client.get("/api/live").text
    return body.split("data: ", 1)[1].split("\n", 1)[0]


def test_page_requests_do_not_make_the_live_stream_report_a_change(factory, user_client) -> None:
    """Access events are written on every request; if they counted as data, each
    re-fetch after a `changed` would announce another change, forever."""
    client = user_client("dpa:DE")
    assert client.get("/").status_code == 200
    first, second = _live_version(client), _live_version(client)
    assert first == second
    assert client.get("/findings").status_code == 200
    assert _live_version(client) == first
