"""`custodes users …` as an operator runs it, against a database of its own."""
from __future__ import annotations

import io
import sys

import pytest

from custodes.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_db(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    return fresh_database


def test_add_list_disable_and_seed_demo(cli_db, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert main(["users", "add", "anna", "--role", "dpa:DE", "--password-stdin"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["users", "add", "ben", "--role", "edps", "--password-stdin"]) == 2
    assert "password too short" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert main(["users", "add", "carl", "--role", "dpa:BG", "--password-stdin"]) == 2
    assert "unknown party" in capsys.readouterr().err
    assert main(["users", "disable", "anna"]) == 0
    assert main(["users", "disable", "nobody"]) == 2
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "anna" in listing and "disabled" in listing and "ben" not in listing
    assert main(["users", "seed-demo"]) == 0
    out = capsys.readouterr().out
    assert "demo-dpa-de" in out and "demo-joint-review" in out and "demo-auditor" in out
    assert main(["users"]) == 2  # no action: help, unusable arguments
