"""End-to-end fixtures: a real `custodes ui` process on a free localhost port,
over a fresh database filled with the demo world through the live pipeline,
with users created by `custodes users add --password-stdin`, driven by
Playwright on Debian's chromium."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_e2e_helpers import PASSWORD

from tests.ui_support import demo_world_database

ROOT = Path(__file__).resolve().parents[3]
ROLES = {"de": "dpa:DE", "fr": "dpa:FR", "edps": "edps", "us": "us-privacy", "jr": "joint-review",
         "aud": "auditor"}
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def e2e_db(database_url: str) -> Iterator[str]:
    with demo_world_database(database_url, "test_e2e_ui") as url:
        yield url


@pytest.fixture(scope="session")
def server(e2e_db: str) -> Iterator[str]:
    env = {**os.environ, "DATABASE_URL": e2e_db, "CUSTODES_UI_REFRESH": "1"}
    cli = [sys.executable, "-m", "custodes.cli"]
    for short, role in ROLES.items():
        subprocess.run(cli + ["users", "add", short, "--role", role, "--password-stdin"], env=env,
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=ROOT)
    port = _free_port()
    (ROOT / "test-output").mkdir(exist_ok=True)
    log = open(ROOT / "test-output" / "e2e-ui-server.log", "w")  # noqa: SIM115 - the server writes it until the finally below
    proc = subprocess.Popen(cli + ["ui", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/login", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"custodes ui did not start; see {log.name}")
        time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# Module, not session: sync Playwright keeps its asyncio loop running in the main
# thread while the browser is open, and later tests call asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("no /usr/bin/chromium: apt-get install -y chromium (or run scripts with "
                    "CUSTODES_BROWSER=1)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1366, "height": 860})
    pg = ctx.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    ctx.close()
