"""`custodes audit replay` as an auditor meets it: bad input, exit statuses, messages."""
from __future__ import annotations

from pathlib import Path

import pytest

from custodes.cli import main
from tests.spec.test_examples import OURS

CASE = OURS / "retention-assessed-policy"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        code = main(["audit", "replay", *args])
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_invalid_lines_are_reported_with_their_line_and_skipped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = CASE.joinpath("events.jsonl").read_text().splitlines(keepends=True)
    events = tmp_path / "e.jsonl"
    events.write_text(lines[0] + "{not json\n" + "".join(lines[1:]) + '{"id": 1}\n')
    out = tmp_path / "f.jsonl"
    code, err = run(capsys, "--events", str(events), "--policy", str(CASE / "policy.toml"),
                    "--findings-out", str(out))
    assert code == 0
    assert f"{events}:2: not valid JSON" in err
    assert f"{events}:{len(lines) + 2}:" in err
    assert "2 invalid line(s) skipped" in err
    assert len(out.read_text().splitlines()) == 2


@pytest.mark.parametrize("extra, expect", [
    (["--horizon", "2026-13-01T00:00:00.000Z"], "--horizon"),
    (["--horizon", "yesterday"], "--horizon"),
    (["--policy", "/nonexistent/policy.toml"], "/nonexistent/policy.toml"),
    (["--trust", "/nonexistent/trust.toml"], "/nonexistent/trust.toml"),
])
def test_unusable_arguments_exit_2_naming_the_problem(
        extra: list[str], expect: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--events", str(CASE / "events.jsonl"),
                    "--findings-out", str(tmp_path / "f.jsonl"), *extra)
    assert code == 2 and expect in err
    assert not (tmp_path / "f.jsonl").exists()


def test_an_invalid_policy_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[retention]\ndefault_dayz = 3\n")
    code, err = run(capsys, "--events", str(CASE / "events.jsonl"), "--policy", str(policy),
                    "--findings-out", str(tmp_path / "f.jsonl"))
    assert code == 2 and str(policy) in err


def test_missing_required_options_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--events", "x.jsonl")
    assert code == 2 and "--findings-out" in err


def test_a_missing_events_file_exits_1_naming_it(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "--events", str(tmp_path / "nope.jsonl"),
                    "--findings-out", str(tmp_path / "f.jsonl"))
    assert code == 1 and "nope.jsonl" in err


def test_events_after_the_horizon_are_ignored(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.jsonl"
    code, err = run(capsys, "--events", str(CASE / "events.jsonl"), "--policy",
                    str(CASE / "policy.toml"), "--horizon", "2026-01-08T08:00:00.000Z",
                    "--findings-out", str(out))
    assert code == 0 and "after the horizon ignored" in err
    # as of day 3: T-A's 3-day deadline (day 3 + 5 s) has not passed yet
    assert out.read_text() == ""
