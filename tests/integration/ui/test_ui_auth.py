"""Sign-in, sessions and the sign-in rate limit."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from ui_test_helpers import PASSWORD, sign_in

from oversight_ui.auth import ratelimit
from oversight_ui.auth.users import add_user, disable_user
from oversight_ui.deps import utcnow
from oversight_ui.routers import auth as auth_router
from store.ui_models import UILoginAttempt

pytestmark = pytest.mark.integration


def _user(factory, name: str, role: str = "dpa:DE") -> None:
    with factory() as db:
        add_user(db, name, role, PASSWORD)
        db.commit()


def test_sign_in_sets_a_hardened_session_cookie(app, factory) -> None:
    _user(factory, "alice")
    client = TestClient(app)
    resp = sign_in(client, "alice")
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith("custodes_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain http in the test; https requests get Secure
    assert client.get("/").status_code == 200


def test_https_requests_get_secure_cookies(app, factory) -> None:
    _user(factory, "carol")
    client = TestClient(app, base_url="https://testserver")
    resp = sign_in(client, "carol")
    cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith("custodes_session="))
    assert "Secure" in cookie


def test_wrong_password_and_unknown_user_get_the_same_answer(app, factory) -> None:
    _user(factory, "bob")
    client = TestClient(app)
    wrong = sign_in(client, "bob", "not the password at all")
    unknown = sign_in(client, "nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert re.search("Unknown user name or wrong password", wrong.text)
    assert client.get("/api/overview").status_code == 401


def test_login_form_without_its_token_is_refused(app, factory) -> None:
    _user(factory, "dave")
    client = TestClient(app)
    resp = client.post("/login", data={"username": "dave", "password": PASSWORD, "csrf_token": "x"})
    assert resp.status_code == 403


def test_five_failures_lock_the_account_with_429(app, factory) -> None:
    _user(factory, "erin")
    client = TestClient(app)
    for _ in range(5):
        assert sign_in(client, "erin", "wrong password 123").status_code == 401
    locked = sign_in(client, "erin")  # even the right password now waits
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in locked.text


def test_attempts_count_before_their_password_is_verified(app, factory) -> None:
    """Five attempts still inside their (slow) verification already use up the
    account's budget: the sixth is refused, so parallel guesses cannot overtake it."""
    _user(factory, "gina")
    now = utcnow()
    with factory() as db:
        pending = [ratelimit.begin(db, "gina", f"10.0.0.{i}", now, 5, 900) for i in range(5)]
        assert all(isinstance(a, UILoginAttempt) for a in pending)
        db.commit()
        sixth = ratelimit.begin(db, "gina", "10.0.0.9", now, 5, 900)
    assert isinstance(sixth, ratelimit.Limited) and sixth.who == "this account"
    assert sign_in(TestClient(app), "gina").status_code == 429


def test_the_attempt_is_committed_as_a_failure_before_verification(app, factory, monkeypatch) -> None:
    _user(factory, "hank")
    seen: list[int] = []

    def verify_while_counting(stored: str | None, password: str) -> bool:
        with factory() as db:
            seen.append(db.scalar(select(func.count()).select_from(UILoginAttempt).where(
                UILoginAttempt.username == "hank", UILoginAttempt.success.is_(False))) or 0)
        return False

    monkeypatch.setattr(auth_router, "verify_password", verify_while_counting)
    client = TestClient(app)
    for _ in range(5):
        assert sign_in(client, "hank", "wrong password 123").status_code == 401
    assert seen == [1, 2, 3, 4, 5]
    assert sign_in(client, "hank").status_code == 429 and len(seen) == 5


def test_one_address_guessing_many_accounts_is_limited(app, factory) -> None:
    client = TestClient(app)
    for i in range(5):
        sign_in(client, f"guess{i}", "wrong password 123")
    _user(factory, "frank")
    assert sign_in(client, "frank").status_code == 429


def test_logout_and_disable_end_sessions(app, factory) -> None:
    _user(factory, "grace")
    client = TestClient(app)
    sign_in(client, "grace")
    token = client.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    sign_in(client, "grace")
    assert client.get("/").status_code == 200
    with factory() as db:
        disable_user(db, "grace")
        db.commit()
    assert client.get("/api/overview").status_code == 401


def test_next_parameter_is_never_an_open_redirect(app, factory) -> None:
    _user(factory, "heidi")
    client = TestClient(app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = client.post("/login", data={"username": "heidi", "password": PASSWORD, "csrf_token": token,
                                       "next": "//evil.example/x"}, follow_redirects=False)
    assert resp.headers["location"] == "/"
