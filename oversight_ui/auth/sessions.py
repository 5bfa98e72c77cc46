"""Server-side sessions with opaque cookies.

The cookie holds 32 random bytes (URL-safe base64); the table holds their
SHA-256, the user, a per-session CSRF token and two expiries (absolute and
idle). Nothing about the user or the role travels in the cookie, so a
disabled user or a revoked session is refused on the very next request.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.ui_models import UISession, UIUser

COOKIE_NAME = "custodes_session"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """Who is making the request, resolved from a valid session."""

    user_id: int
    username: str
    role: str
    csrf_token: str
    token_hash: str


def create(db: Session, user: UIUser, now: datetime, max_age_s: int, client_addr: str) -> tuple[str, UISession]:
    """A new session for `user`; returns the cookie token (shown once) and the row."""
    token = secrets.token_urlsafe(32)
    row = UISession(
        token_hash=token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
        created_at=now, last_seen_at=now, expires_at=now + timedelta(seconds=max_age_s),
        client_addr=client_addr[:64], revoked=False,
    )
    db.add(row)
    return token, row


def resolve(db: Session, token: str | None, now: datetime, idle_s: int) -> SignedIn | None:
    """The signed-in user of a cookie token, or None if absent, unknown, expired,
    idle too long, revoked, or the user is disabled. Touches `last_seen_at`."""
    if not token or len(token) > 100:
        return None
    th = token_hash(token)
    row = db.execute(
        select(UISession, UIUser).join(UIUser, UIUser.id == UISession.user_id)
        .where(UISession.token_hash == th)
    ).one_or_none()
    if row is None:
        return None
    sess, user = row
    if (sess.revoked or user.disabled or sess.expires_at <= now
            or sess.last_seen_at + timedelta(seconds=idle_s) <= now):
        return None
    # Touch at most once a minute: no write per request on busy pages.
    if now - sess.last_seen_at > timedelta(seconds=60):
        db.execute(update(UISession).where(UISession.token_hash == th).values(last_seen_at=now))
        db.commit()
    return SignedIn(user_id=user.id, username=user.username, role=user.role,
                    csrf_token=sess.csrf_token, token_hash=th)


def revoke(db: Session, th: str) -> None:
    db.execute(update(UISession).where(UISession.token_hash == th).values(revoked=True))


def revoke_all_for_user(db: Session, user_id: int) -> None:
    db.execute(update(UISession).where(UISession.user_id == user_id).values(revoked=True))
