"""Security of the dashboard, enumerated from the app's own routes (never a hand
list): every route refuses anonymous callers, every state-changing route
refuses a request without the session's CSRF token, no route shows a DE
supervisor anything of a case DE is not part of, joint review gets no case
level rows, and every request a signed-in user makes is recorded as
`ebsp.oversight.accessed.v1` in the platform chain."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from ui_test_helpers import access_events, finding_id, platform_head

from oversight_ui.demo_data import SECRET_CASE
from oversight_ui.routes import flat_routes

pytestmark = pytest.mark.integration
PUBLIC = {"/login", "/static"}


def _routes(app, method: str) -> list[str]:
    return sorted({p for p, methods, _ in flat_routes(app) if method in methods and p not in PUBLIC})


def _fill(path: str, finding: str, case: str) -> str:
    return path.replace("{finding_id}", finding).replace("{case_id}", case)


def test_route_enumeration_sees_every_view(app) -> None:
    gets = _routes(app, "GET")
    assert len(gets) >= 36  # overview + 9 views as page, API and CSV, drill-downs, live, audit
    assert "/api/findings/{finding_id}" in gets and "/findings/{finding_id}" in gets


def test_every_route_refuses_anonymous_callers(app, conn) -> None:
    fid = finding_id(conn, "SRC-1")
    client = TestClient(app)
    checked = 0
    for method in ("GET", "POST"):
        for path in _routes(app, method):
            url = _fill(path, fid, SECRET_CASE)
            resp = client.request(method, url, follow_redirects=False)
            if url.startswith("/api/"):
                assert resp.status_code == 401, (method, url, resp.status_code)
            else:
                assert resp.status_code == 303 and resp.headers["location"].startswith("/login"), (method, url)
            assert SECRET_CASE not in resp.text
            checked += 1
    assert checked >= 40


def test_every_post_without_csrf_token_is_refused(app, conn, user_client) -> None:
    client = user_client("dpa:US")
    fid = finding_id(conn, "RET-1")
    before = conn.execute(text("SELECT count(*) FROM ui_finding_actions")).scalar_one()
    posts = _routes(app, "POST")
    assert posts, "no POST routes enumerated"
    for path in posts:
        url = _fill(path, fid, SECRET_CASE)
        no_token = client.post(url, data={"comment": "attempt"}, follow_redirects=False)
        wrong = client.post(url, data={"comment": "attempt", "csrf_token": "forged"},
                            headers={"X-CSRF-Token": "forged"}, follow_redirects=False)
        assert no_token.status_code == 403, (url, no_token.status_code)
        assert wrong.status_code == 403, (url, wrong.status_code)
    after = conn.execute(text("SELECT count(*) FROM ui_finding_actions")).scalar_one()
    assert after == before
    assert client.get("/").status_code == 200  # logout was refused too: still signed in


def test_dpa_de_never_sees_a_case_without_de(app, conn, user_client) -> None:
    client = user_client("dpa:DE")
    secret_finding = finding_id(conn, "SRC-1")
    for path in _routes(app, "GET"):
        if path == "/export/audit-bundle.zip":
            continue
        for query in ("", "?party=FR", "?party=US"):
            url = _fill(path, secret_finding, SECRET_CASE) + query
            resp = client.get(url, follow_redirects=False)
            assert SECRET_CASE not in resp.text, url
            assert "onw-1" not in resp.text and "rem-1" not in resp.text, url
            if "{finding_id}" in path or "{case_id}" in path:
                assert resp.status_code in (403, 404), (url, resp.status_code)
                break


def test_joint_review_gets_aggregates_only(app, conn, user_client) -> None:
    client = user_client("joint-review")
    fid = finding_id(conn, "RET-1")
    assert client.get(f"/api/findings/{fid}").status_code == 403
    assert client.get("/api/cases/US-2026-000001/events").status_code == 403
    assert client.get(f"/findings/{fid}").status_code == 403
    for path in _routes(app, "GET"):
        if "{" in path or not path.startswith("/api/") or path in ("/api/live", "/api/openapi.json", "/api/overview"):
            continue
        body = client.get(path).json()
        assert "case_id" not in {c["key"] for c in body["columns"]}, path
        assert not any("2026-0000" in str(v) for r in body["rows"] for v in r.values()), path
    findings = client.get("/api/findings").json()
    assert findings["aggregated"] is True
    assert sum(r["findings"] for r in findings["rows"]) == 4


def test_every_signed_in_request_is_recorded(app, conn, user_client) -> None:
    client = user_client("edps")
    fid = finding_id(conn, "RET-1")
    for path in _routes(app, "GET"):
        url = _fill(path, fid, "US-2026-000001")
        head = platform_head(conn)
        resp = client.get(url)
        recorded = access_events(conn, head)
        if path == "/audit" or path == "/export/audit-bundle.zip":
            assert resp.status_code == 403
            assert len(recorded) == 1 and recorded[0]["filters"].get("refused"), path
            continue
        assert resp.status_code == 200, (url, resp.status_code, resp.text[:200])
        assert len(recorded) == 1, (url, recorded)
        rec = recorded[0]
        assert rec["user"] == client.username and rec["role"] == "edps" and rec["scope"] == "EU"
        assert rec["view"] and isinstance(rec["result_count"], int)


def test_refused_object_access_is_recorded_as_refused(app, conn, user_client) -> None:
    client = user_client("dpa:DE")
    head = platform_head(conn)
    fid = finding_id(conn, "SRC-1")
    assert client.get(f"/api/findings/{fid}").status_code == 404
    rec = access_events(conn, head)
    assert len(rec) == 1 and rec[0]["view"] == "finding" and rec[0]["result_count"] == 0
    assert rec[0]["filters"] == {"finding_id": fid, "refused": "out of scope"}


def test_pages_carry_security_headers_and_no_inline_script(app, user_client) -> None:
    client = user_client("dpa:DE")
    resp = client.get("/")
    assert "default-src 'self'" in resp.headers["content-security-policy"]
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["cache-control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", resp.text)
