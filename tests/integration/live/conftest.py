"""A simulated month with injected violations, generated once per test session."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.integration.live.helpers import ROOT, read_findings

# Plain modules' asserts are not rewritten by pytest unless registered before import.
pytest.register_assert_rewrite("tests.integration.live.faults")


@dataclass(frozen=True)
class Simulation:
    events: Path
    truth: Path
    trust: Path
    lines: list[bytes]
    horizon: str  # the final checkpoints' time: every node checkpointed then

    def truth_findings(self) -> dict[str, tuple[object, ...]]:
        return read_findings(self.truth)


@pytest.fixture(scope="session")
def month_simulation(tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    """35 days at scale 0.01 with the default injections (~115k events, ~10 s)."""
    d = tmp_path_factory.mktemp("sim")
    subprocess.run([str(ROOT / ".venv/bin/custodes"), "simulate", "--seed", "11",
                    "--duration", "35d", "--scale", "0.01", "--inject", "default",
                    "--config", str(ROOT / "producers/config/test.toml"),
                    "--out", str(d / "events.jsonl"), "--truth-out", str(d / "truth.jsonl"),
                    "--trust-out", str(d / "trust.toml")], check=True, timeout=300,
                   capture_output=True)
    lines = [ln for ln in (d / "events.jsonl").read_bytes().splitlines() if ln.strip()]
    latest = max(orjson.loads(ln)["time"] for ln in lines)
    return Simulation(d / "events.jsonl", d / "truth.jsonl", d / "trust.toml", lines, latest)
