"""`custodes simulate` as an operator runs it: help, and a clean stop on Ctrl-C."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.unit.producers.chain_check import chain_breaks

ROOT = Path(__file__).resolve().parents[3]


def test_help_names_every_option():
    done = subprocess.run([sys.executable, "-m", "custodes.cli", "simulate", "--help"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    for opt in ("--seed", "--duration", "--scale", "--speed", "--nodes", "--inject", "--out",
                "--truth-out", "--trust-out", "--state-dir", "--bootstrap-servers", "--start",
                "--config"):
        assert opt in done.stdout


def test_sigint_stops_cleanly_with_final_checkpoints_and_saved_state(tmp_path):
    from custodes.codec import decode
    from custodes.trust import load_trust

    out, state = tmp_path / "run.jsonl", tmp_path / "state"
    proc = subprocess.Popen(
        [sys.executable, "-m", "custodes.cli", "simulate", "--duration", "30d", "--speed", "20000",
         "--scale", "0.01", "--nodes", "US,DE", "--out", str(out), "--state-dir", str(state),
         "--config", "producers/config/test.toml"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "stopping cleanly" in err
    events = [decode(line) for line in out.read_bytes().splitlines()]
    last = {e.source: e for e in events}
    horizon = {e.time_ms for e in last.values()}
    assert len(horizon) == 1 and all(e.type == "ebsp.node.checkpoint.v1" for e in last.values())
    assert max(e.time_ms for e in events) == horizon.pop()
    assert chain_breaks(events, load_trust(tmp_path / "run.trust.toml")) == []
    assert (state / "world.json").is_file() and (tmp_path / "run.truth.jsonl").is_file()


def test_a_policy_that_allows_no_purpose_is_refused_before_anything_is_written(tmp_path):
    policy, out = tmp_path / "policy.toml", tmp_path / "run.jsonl"
    policy.write_text("[parties.DE.purposes]\nallowed = []\n")
    done = subprocess.run(
        [sys.executable, "-m", "custodes.cli", "simulate", "--duration", "1d", "--scale", "0.01",
         "--nodes", "US,DE", "--config", "producers/config/test.toml", "--policy", str(policy),
         "--out", str(out), "--state-dir", str(tmp_path / "state")],
        cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert "DE: purposes.allowed is empty" in done.stderr and str(policy) in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == [policy]
