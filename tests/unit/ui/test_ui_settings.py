"""The dashboard's settings: the shared variables come from the kernel's settings."""
from __future__ import annotations

from pathlib import Path

from oversight_ui.settings import UISettings


def test_the_trust_file_and_policy_are_the_kernels_variables() -> None:
    s = UISettings.from_env({"CUSTODES_TRUST": ".local/state/trust.toml", "CUSTODES_POLICY": "p.toml"})
    assert s.trust_path == Path(".local/state/trust.toml") and s.policy_path == Path("p.toml")


def test_database_url_defaults_like_the_kernel_and_is_masked() -> None:
    s = UISettings.from_env({"DATABASE_URL": "postgresql+psycopg://u:secret@db:5432/x",
                             "CUSTODES_UI_REFRESH": "2"})
    assert s.masked_database_url() == "postgresql+psycopg://u:***@db:5432/x" and s.refresh_s == 2
    assert UISettings.from_env({}).trust_path is None


def test_proxy_headers_are_trusted_only_when_configured() -> None:
    assert UISettings.from_env({}).trusted_proxies is None
    assert UISettings.from_env({"CUSTODES_UI_TRUSTED_PROXIES": "10.0.0.1,10.0.0.2"}).trusted_proxies == "10.0.0.1,10.0.0.2"
