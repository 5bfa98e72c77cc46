"""The simulators' ground truth is exactly what the audit finds (SPEC §5, §6, §9).

`custodes simulate` writes events and the violations it injected;
`custodes audit replay` over those events, with the run's trust file and
the final checkpoint time as horizon, must raise exactly those findings, no
more and no fewer, over a full calendar month (January 2026 in a 40-day run),
for several seeds and profiles, and none at all for compliant traffic.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "producers" / "config" / "test.toml"  # 6-hour checkpoints: see docs/decisions.md
HORIZON = "2026-02-10T00:00:00.000Z"  # start 2026-01-01 + 40 days
FIELDS = ("rule", "key", "party", "severity", "case_id")


def custodes(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "custodes.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"custodes {' '.join(args)}\n{done.stderr[-3000:]}"
    return done


def findings(path: Path) -> set[tuple]:
    return {tuple(r[f] for f in FIELDS) for r in map(json.loads, path.read_text().splitlines())}


def simulate_and_replay(tmp: Path, seed: int, inject: str) -> tuple[set[tuple], set[tuple]]:
    events, truth, trust = tmp / "events.jsonl", tmp / "truth.jsonl", tmp / "trust.toml"
    custodes("simulate", "--seed", str(seed), "--duration", "40d", "--scale", "0.005",
             "--inject", inject, "--config", str(CONFIG), "--out", str(events),
             "--truth-out", str(truth), "--trust-out", str(trust))
    out = tmp / "findings.jsonl"
    custodes("audit", "replay", "--events", str(events), "--trust", str(trust),
             "--horizon", HORIZON, "--findings-out", str(out), "--quiet")
    return findings(truth), findings(out)


@pytest.mark.e2e
@pytest.mark.parametrize("seed,inject", [(1, "default"), (2, "heavy"), (3, "heavy"), (4, "default")])
def test_replay_finds_exactly_the_injected_violations(tmp_path, seed, inject):
    truth, found = simulate_and_replay(tmp_path, seed, inject)
    assert truth, "the profile injected nothing: the comparison would be vacuous"
    assert found - truth == set(), "findings the simulator did not inject"
    assert truth - found == set(), "injected violations the audit missed"


@pytest.mark.e2e
def test_compliant_traffic_raises_no_finding(tmp_path):
    truth, found = simulate_and_replay(tmp_path, 9, "none")
    assert truth == set() and found == set()
