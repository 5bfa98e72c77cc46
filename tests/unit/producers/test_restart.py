"""A restarted simulator continues each node's chain and its schedule."""
from __future__ import annotations

from tests.unit.producers.chain_check import chain_breaks
from tests.unit.producers.helpers import simulate


def test_resume_continues_every_chain_and_delivers_what_was_scheduled(tmp_path):
    state = tmp_path / "state"
    first = simulate(seed=4, duration="1d", scale=0.02, nodes=("US", "DE", "PL"), state_dir=state)
    second = simulate(seed=4, duration="20d", scale=0.02, nodes=("US", "DE", "PL"), state_dir=state)
    assert second.result.horizon_ms == first.result.horizon_ms + 20 * 86_400_000
    events = first.events() + second.events()
    # One unbroken chain per node across both runs, signed with the same keys.
    assert chain_breaks(events, first.trust) == []
    assert first.trust.nodes == second.trust.nodes
    # Deletions scheduled in the first run (due days later) are emitted by the second.
    transfers = {d.transfer_id for e in first.events() if e.type == "ebsp.transfer.sent.v1"
                 for d in [e.data]}
    deleted = {e.data.transfer_id for e in events if e.type == "ebsp.deletion.performed.v1"}
    kept = {e.data.transfer_id for e in events  # continuing risk: deletion may be months later
            if e.type == "ebsp.retention.assessed.v1" and e.data.continuing_risk}
    assert transfers and transfers - kept <= deleted
    assert any(e.type == "ebsp.deletion.performed.v1" and e.data.transfer_id in transfers
               for e in second.events())


def test_resume_refuses_a_state_dir_of_another_run(tmp_path):
    import pytest

    from producers.state import StateError

    state = tmp_path / "state"
    simulate(seed=4, duration="1h", nodes=("US", "DE"), state_dir=state)
    with pytest.raises(StateError, match="seed"):
        simulate(seed=5, duration="1h", nodes=("US", "DE"), state_dir=state)


def test_resume_refuses_a_changed_policy_or_injection_rates(tmp_path):
    """Same names, other contents: resuming would make the truth disagree with the events."""
    import pytest

    from custodes.policy import parse_policy
    from producers.state import StateError

    state = tmp_path / "state"
    simulate(seed=4, duration="1h", nodes=("US", "DE"), state_dir=state)
    meta = (state / "meta.json").read_bytes()
    stricter = parse_policy("[retention]\ndefault_days = 2\n", origin="defaults (SPEC §4)")
    with pytest.raises(StateError, match="policy contents changed"):
        simulate(seed=4, duration="1h", nodes=("US", "DE"), state_dir=state, policy=stricter)
    rates = tmp_path / "none.toml"  # a file profile named like the built-in one, other rates
    rates.write_text("RET-1 = 0.5\n")
    with pytest.raises(StateError, match="injection rates changed"):
        simulate(seed=4, duration="1h", nodes=("US", "DE"), state_dir=state, inject=str(rates))
    assert (state / "meta.json").read_bytes() == meta


def test_cli_resume_with_another_policy_exits_2_naming_it_and_writes_nothing(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    out, state, policy = tmp_path / "run.jsonl", tmp_path / "state", tmp_path / "policy.toml"
    cmd = [sys.executable, "-m", "custodes.cli", "simulate", "--duration", "1d", "--scale", "0.01",
           "--nodes", "US,DE", "--inject", "heavy", "--config", "producers/config/test.toml",
           "--out", str(out), "--state-dir", str(state)]
    subprocess.run(cmd, cwd=root, capture_output=True, check=True)
    before = {p: p.read_bytes() for p in (out, state / "meta.json", state / "world.json")}
    policy.write_text("[retention]\ndefault_days = 2\n")
    done = subprocess.run([*cmd, "--policy", str(policy)], cwd=root, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2, done.stderr
    assert "policy contents changed" in done.stderr and str(policy) in done.stderr
    assert "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_state_files_are_private_and_no_temporary_file_is_left(tmp_path):
    state = tmp_path / "state"
    simulate(seed=4, duration="1h", nodes=("US", "DE"), state_dir=state)
    simulate(seed=4, duration="1h", nodes=("US", "DE"), state_dir=state)
    files = [p for p in state.rglob("*") if p.is_file()]
    assert sorted(p.relative_to(state).as_posix() for p in files) == [
        "chains/DE.json", "chains/US.json", "keys/DE.key", "keys/US.key", "meta.json", "world.json"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files)
