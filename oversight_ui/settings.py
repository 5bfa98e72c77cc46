"""Typed settings of the dashboard, built once from the environment.

Why a frozen object: every knob that changes security behaviour (cookie
flags, session lifetimes, rate limits) is read in one place, shown masked in
logs, and passed explicitly to the app factory so tests can build an app with
other values without touching the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "postgresql+psycopg://custodes:custodes@127.0.0.1:15432/custodes"


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return default if raw in (None, "") else int(raw)


@dataclass(frozen=True)
class UISettings:
    database_url: str = DEFAULT_DATABASE_URL
    # Session lifetime: absolute (re-login after a working day) and idle.
    session_max_age_s: int = 8 * 3600
    session_idle_s: int = 30 * 60
    # Sign-in rate limit: this many failures per user and per client address
    # within the window, then 429 until the oldest failure leaves the window.
    login_max_failures: int = 5
    login_window_s: int = 15 * 60
    # None: decide per request from the scheme (https -> Secure cookie).
    force_secure_cookies: bool | None = None
    # Seconds between live refreshes of the pages (polling).
    refresh_s: int = 5
    page_size: int = 50
    # End each /api/live stream after this many messages (None: until the client
    # leaves); the tests set 1 so a request to the stream returns.
    live_max_messages: int | None = None
    trust_file: str | None = None
    policy_file: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> UISettings:
        env = dict(os.environ if env is None else env)
        secure = env.get("CUSTODES_UI_SECURE_COOKIES")
        return cls(
            database_url=env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
            session_max_age_s=_int(env, "CUSTODES_UI_SESSION_MAX_AGE", 8 * 3600),
            session_idle_s=_int(env, "CUSTODES_UI_SESSION_IDLE", 30 * 60),
            login_max_failures=_int(env, "CUSTODES_UI_LOGIN_MAX_FAILURES", 5),
            login_window_s=_int(env, "CUSTODES_UI_LOGIN_WINDOW", 15 * 60),
            force_secure_cookies=None if secure in (None, "") else secure.lower() in ("1", "true", "yes"),
            refresh_s=_int(env, "CUSTODES_UI_REFRESH", 5),
            trust_file=env.get("CUSTODES_TRUST_FILE") or None,
            policy_file=env.get("CUSTODES_POLICY_FILE") or None,
        )

    def masked_database_url(self) -> str:
        """The database URL with its password hidden, for log lines and --help output."""
        head, sep, tail = self.database_url.rpartition("@")
        if not sep or ":" not in head.split("//", 1)[-1]:
            return self.database_url
        scheme, _, creds = head.partition("//")
        user = creds.split(":", 1)[0]
        return f"{scheme}//{user}:***@{tail}"
