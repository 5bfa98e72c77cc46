"""Sign-in rate limit: failures per username and per client address in a
sliding window, counted from the `ui_login_attempts` table so that it holds
across restarts and across several app processes.

A successful sign-in restarts the count for that account (the legitimate user
who mistyped twice is not punished later), but not for the address: one
address guessing many accounts stays limited.

Checking and recording are one step (`begin`): under an advisory lock per
account and per address, the attempt is counted and written as a failure,
and the caller commits it before verifying the password (which takes long,
argon2). Parallel attempts therefore see each other, and no more than the
limit of guesses get through per window; a correct password then turns the
attempt into a success (`succeeded`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from store.ui_models import UILoginAttempt


@dataclass(frozen=True)
class Limited:
    """Sign-in refused for `retry_after_s` seconds because of `who`."""

    who: str
    retry_after_s: int


def _failures(db: Session, column: Any, value: str, since: datetime) -> tuple[int, datetime | None]:
    count, oldest = db.execute(
        select(func.count(), func.min(UILoginAttempt.at)).where(
            column == value, UILoginAttempt.at > since, UILoginAttempt.success.is_(False)
        )
    ).one()
    return int(count), oldest


def check(db: Session, username: str, client_addr: str, now: datetime,
          max_failures: int, window_s: int) -> Limited | None:
    """None when another attempt is allowed, else why not and for how long."""
    since = now - timedelta(seconds=window_s)
    last_ok = db.scalar(select(func.max(UILoginAttempt.at)).where(
        UILoginAttempt.username == username, UILoginAttempt.success.is_(True)))
    checks = (
        ("this account", UILoginAttempt.username, username, max(since, last_ok) if last_ok else since),
        ("this address", UILoginAttempt.client_addr, client_addr, since),
    )
    for who, column, value, start in checks:
        count, oldest = _failures(db, column, value, start)
        if count >= max_failures and oldest is not None:
            retry = int((oldest + timedelta(seconds=window_s) - now).total_seconds()) + 1
            return Limited(who=who, retry_after_s=max(retry, 1))
    return None


def _lock_key(kind: str, value: str) -> int:
    return int.from_bytes(hashlib.sha256(f"custodes-login:{kind}:{value}".encode()).digest()[:8], "big", signed=True)


def begin(db: Session, username: str, client_addr: str, now: datetime,
          max_failures: int, window_s: int) -> Limited | UILoginAttempt:
    """Check and, if allowed, record the attempt as a failure, atomically (the caller
    commits before verifying the password). Refused attempts are not recorded."""
    for key in sorted({_lock_key("user", username), _lock_key("addr", client_addr)}):
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    limited = check(db, username, client_addr, now, max_failures, window_s)
    if limited is not None:
        return limited
    attempt = UILoginAttempt(username=username[:64], client_addr=client_addr[:64], at=now, success=False)
    db.add(attempt)
    db.flush()
    return attempt


def succeeded(attempt: UILoginAttempt) -> None:
    """The password was right: the attempt no longer counts as a failure."""
    attempt.success = True
