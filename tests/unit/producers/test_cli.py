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


def _simulate(*extra: str) -> list[str]:
    return [sys.executable, "-m", "custodes.cli", "simulate", "--config", "producers/config/test.toml",
            *extra]


def test_sigterm_to_the_process_group_stops_a_parallel_run_cleanly_and_it_resumes(tmp_path):
    import os

    from custodes.codec import decode
    from custodes.trust import load_trust

    out, state = tmp_path / "run.jsonl", tmp_path / "state"
    args = _simulate("--seed", "11", "--duration", "2d", "--scale", "0.3", "--inject", "none", "--out", str(out),
                     "--state-dir", str(state), "--workers", "3", "--speed", "20000")
    proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(4)
    os.killpg(proc.pid, signal.SIGTERM)      # as a service manager stops it: the whole group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err      # stopped early, like SIGINT and like --workers 0
    assert "SIGTERM: stopping cleanly" in err and "died" not in err and "Traceback" not in err
    assert (state / "world.json").is_file()
    assert list(tmp_path.glob(".run.jsonl.part*")) == []
    first = out.read_bytes().count(b"\n")
    assert first > 0
    done = subprocess.run(
        _simulate("--seed", "11", "--duration", "2h", "--scale", "0.3", "--inject", "none", "--out", str(out),
                  "--state-dir", str(state), "--workers", "3"),
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    events = [decode(line) for line in out.read_bytes().splitlines()]
    assert len(events) > first
    assert chain_breaks(events, load_trust(tmp_path / "run.trust.toml")) == []


def test_a_second_ctrl_c_removes_the_workers_part_files(tmp_path, monkeypatch):
    from custodes.cli import build_parser
    from producers.engine import Simulation

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt  # what on_signal raises on a second Ctrl-C

    monkeypatch.setattr(Simulation, "run", interrupted)
    monkeypatch.chdir(ROOT)
    out = tmp_path / "run.jsonl"
    args = build_parser().parse_args(
        ["simulate", "--config", "producers/config/test.toml", "--duration", "1d", "--scale",
         "0.01", "--nodes", "US,DE,FR", "--out", str(out), "--workers", "2"])
    import pytest

    with pytest.raises(KeyboardInterrupt):
        args.func(args)
    assert sorted(p.name for p in tmp_path.iterdir() if ".part" in p.name) == []


def test_the_default_worker_count_is_the_usable_cpus_capped(monkeypatch):
    import os

    from producers.cli import MAX_DEFAULT_WORKERS, default_workers

    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert default_workers() == 2                       # a container limited to 2 CPUs
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert default_workers() == MAX_DEFAULT_WORKERS <= 8
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    assert default_workers() == MAX_DEFAULT_WORKERS


def test_out_dev_stdout_streams_the_same_bytes_to_a_pipe(tmp_path):
    common = ("--seed", "5", "--duration", "6h", "--scale", "0.02", "--nodes", "US,DE,FR",
              "--truth-out", str(tmp_path / "t.jsonl"), "--trust-out", str(tmp_path / "t.toml"))
    ref = tmp_path / "ref.jsonl"
    subprocess.run(_simulate(*common, "--out", str(ref), "--workers", "0"),
                   cwd=ROOT, capture_output=True, check=True, timeout=300)
    assert ref.stat().st_size > 0
    for workers in ("0", "2"):
        done = subprocess.run(_simulate(*common, "--out", "/dev/stdout", "--workers", workers),
                              cwd=ROOT, capture_output=True, check=False, timeout=300)
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        assert done.stdout == ref.read_bytes(), workers
    assert not list(Path("/dev").glob(".stdout.part*"))


def test_out_dev_stdout_puts_truth_and_trust_in_the_current_directory(tmp_path):
    """Given a stream as output and no --truth-out/--trust-out, the side files go to the
    current directory, named after the seed (not into /dev), and stdout has only events."""
    cmd = _simulate("--seed", "9", "--duration", "2h", "--scale", "0.02", "--nodes", "US,DE",
                    "--out", "/dev/stdout", "--workers", "0")
    cmd[cmd.index("--config") + 1] = str(ROOT / "producers/config/test.toml")
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert (tmp_path / "simulate-seed9.trust.toml").read_text().strip()
    assert (tmp_path / "simulate-seed9.truth.jsonl").exists()
    assert not list(Path("/dev").glob("stdout.*"))
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith(b'{"data":') for line in lines)
