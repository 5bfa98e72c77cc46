"""Typed settings of the dashboard, built once from the environment.

Why a frozen object: every knob that changes security behaviour (cookie
flags, session lifetimes, rate limits) is read in one place, shown masked in
logs, and passed explicitly to the app factory so tests can build an app with
other values without touching the environment.

What the dashboard shares with the rest of Custodes (database, trust file,
policy) comes from the kernel's `custodes.settings.Settings.from_env()`, so
the variables are the same everywhere (`DATABASE_URL`, `CUSTODES_TRUST`,
`CUSTODES_POLICY`); only the `CUSTODES_UI_*` variables are read here.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from custodes.settings import DEFAULT_DATABASE_URL, Settings, mask_url


def _int(env: Mapping[str, str], name: str, default: int) -> int:
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
    # Results of the views kept per data version (oversight_ui/cache.py); 0: none.
    result_cache: int = 256
    # End each /api/live stream after this many messages (None: until the client
    # leaves); the tests set 1 so a request to the stream returns.
    live_max_messages: int | None = None
    # Addresses of reverse proxies whose X-Forwarded-For/-Proto uvicorn trusts
    # (comma-separated, as uvicorn's forwarded_allow_ips); None: no proxy headers.
    trusted_proxies: str | None = None
    # Put into audit bundles (the kernel's CUSTODES_TRUST / CUSTODES_POLICY).
    trust_path: Path | None = None
    policy_path: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> UISettings:
        env = os.environ if env is None else env
        kernel = Settings.from_env(env)
        secure = env.get("CUSTODES_UI_SECURE_COOKIES")
        return cls(
            database_url=kernel.database_url,
            session_max_age_s=_int(env, "CUSTODES_UI_SESSION_MAX_AGE", 8 * 3600),
            session_idle_s=_int(env, "CUSTODES_UI_SESSION_IDLE", 30 * 60),
            login_max_failures=_int(env, "CUSTODES_UI_LOGIN_MAX_FAILURES", 5),
            login_window_s=_int(env, "CUSTODES_UI_LOGIN_WINDOW", 15 * 60),
            force_secure_cookies=None if secure in (None, "") else secure.lower() in ("1", "true", "yes"),
            refresh_s=_int(env, "CUSTODES_UI_REFRESH", 5),
            result_cache=_int(env, "CUSTODES_UI_RESULT_CACHE", 256),
            trusted_proxies=(env.get("CUSTODES_UI_TRUSTED_PROXIES") or "").strip() or None,
            trust_path=kernel.trust_path,
            policy_path=kernel.policy_path,
        )

    def masked_database_url(self) -> str:
        """The database URL with its password hidden, for log lines and --help output."""
        return mask_url(self.database_url)
