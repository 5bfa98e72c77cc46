"""Sign-in and sign-out.

The sign-in form is protected against login CSRF with a double-submit token
(a random cookie echoed in a hidden field), since there is no session yet.
Failures are rate-limited per account and per client address; the message
never says whether the account exists.
"""
from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from oversight_ui.auth import ratelimit, sessions
from oversight_ui.auth.passwords import verify_password
from oversight_ui.db import SessionDep
from oversight_ui.deps import CsrfDep, ViewerDep, utcnow
from oversight_ui.settings import UISettings
from oversight_ui.templating import render
from store.ui_models import UIUser

router = APIRouter(include_in_schema=False)
PRELOGIN_COOKIE = "custodes_prelogin"


def client_addr(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def secure_cookies(request: Request) -> bool:
    settings: UISettings = request.app.state.settings
    if settings.force_secure_cookies is not None:
        return settings.force_secure_cookies
    return request.url.scheme == "https"


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _login_page(request: Request, error: str | None = None, status_code: int = 200,
                username: str = "", next_: str = "/", headers: dict[str, str] | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", {"error": error, "prelogin": token, "username": username,
                                          "next": safe_next(next_)}, status_code=status_code)
    resp.set_cookie(PRELOGIN_COOKIE, token, httponly=True, samesite="strict",
                    secure=secure_cookies(request), max_age=3600, path="/login")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next_=next)


@router.post("/login")
def login(request: Request, db: SessionDep,
          username: Annotated[str, Form(max_length=64)] = "",
          password: Annotated[str, Form(max_length=1024)] = "",
          csrf_token: Annotated[str, Form(max_length=100)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    settings: UISettings = request.app.state.settings
    cookie = request.cookies.get(PRELOGIN_COOKIE, "")
    if not cookie or not csrf_token or not secrets.compare_digest(cookie.encode(), csrf_token.encode()):
        return _login_page(request, "The sign-in form expired. Please try again.", 403,
                           username=username, next_=next)
    now, addr = utcnow(), client_addr(request)
    username = username.strip().lower()
    attempt = ratelimit.begin(db, username, addr, now, settings.login_max_failures,
                              settings.login_window_s)
    if isinstance(attempt, ratelimit.Limited):
        db.rollback()
        minutes = (attempt.retry_after_s + 59) // 60
        return _login_page(
            request, f"Too many failed sign-ins from {attempt.who}. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}.", 429, username=username, next_=next,
            headers={"Retry-After": str(attempt.retry_after_s)})
    db.commit()  # counted as a failure before the (slow) verification: parallel guesses see it
    user = db.scalar(select(UIUser).where(UIUser.username == username))
    ok = verify_password(user.password_hash if user else None, password) and user is not None
    if not ok or user is None or user.disabled:
        return _login_page(request, "Unknown user name or wrong password, or the account is disabled.",
                           401, username=username, next_=next)
    ratelimit.succeeded(attempt)
    user.last_login_at = now
    token, _row = sessions.create(db, user, now, settings.session_max_age_s, addr)
    db.commit()
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(sessions.COOKIE_NAME, token, httponly=True, samesite="strict",
                    secure=secure_cookies(request), max_age=settings.session_max_age_s, path="/")
    resp.delete_cookie(PRELOGIN_COOKIE, path="/login")
    return resp


@router.post("/logout", dependencies=[CsrfDep])
def logout(request: Request, db: SessionDep, viewer: ViewerDep) -> Response:
    sessions.revoke(db, viewer.session_hash)
    db.commit()
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(sessions.COOKIE_NAME, path="/")
    return resp
