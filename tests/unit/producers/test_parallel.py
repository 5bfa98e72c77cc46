"""Worker processes chain and write the nodes' events; the output is the in-process run's."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from custodes.signing import NodeChain
from producers.parallel import WorkerError, WorkerPool, split
from producers.sinks import FileSink
from producers.state import node_keys

ROOT = Path(__file__).resolve().parents[3]


def cli(tmp_path: Path, name: str, *extra: str, duration: str = "1d",
        state: str | None = None) -> bytes:
    out = tmp_path / f"{name}.jsonl"
    args = [sys.executable, "-m", "custodes.cli", "simulate", "--seed", "9", "--duration", duration,
            "--scale", "0.05", "--inject", "heavy", "--out", str(out),
            "--config", "producers/config/test.toml", *extra]
    if state:
        args += ["--state-dir", str(tmp_path / state)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert list(tmp_path.glob(f".{name}.jsonl.part*")) == []   # parts merged and removed
    return (out.read_bytes() + b"\n--truth--\n" + (tmp_path / f"{name}.truth.jsonl").read_bytes()
            + (tmp_path / f"{name}.trust.toml").read_bytes())


def test_any_number_of_workers_gives_the_in_process_bytes_and_truth(tmp_path):
    reference = cli(tmp_path, "w0", "--workers", "0")
    assert reference.count(b"\n") > 1000
    assert cli(tmp_path, "w2", "--workers", "2") == reference
    assert cli(tmp_path, "w5", "--workers", "5") == reference


def test_a_parallel_run_resumes_like_an_in_process_one(tmp_path):
    def two_halves(name: str, workers: str) -> bytes:
        cli(tmp_path, name, "--workers", workers, duration="12h", state=f"{name}-state")
        return cli(tmp_path, name, "--workers", workers, duration="12h", state=f"{name}-state")

    assert two_halves("serial", "0") == two_halves("parallel", "2")


def test_nodes_are_split_by_cost_largest_first_deterministically():
    costs = {"US": 50.0, "DE": 10.0, "FR": 8.0, "IT": 7.0, "MT": 1.0}
    assert split(costs, 2) == [("US",), ("DE", "FR", "IT", "MT")]
    assert split(costs, 3) == [("US",), ("DE", "MT"), ("FR", "IT")]
    assert split(costs, 10) == [("US",), ("DE",), ("FR",), ("IT",), ("MT",)]
    assert split(costs, 1) == [("US", "DE", "FR", "IT", "MT")]


class BrokenSink(FileSink):
    """Fails on the 50th write, like a Kafka producer that gave up on a record."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.n = 0

    def write(self, party: str, value: bytes) -> None:
        self.n += 1
        if self.n == 50:
            raise RuntimeError("broker refused the batch")
        super().write(party, value)


def test_a_failing_worker_stops_the_run_with_its_error(tmp_path):
    chains = {p: NodeChain(k) for p, k in node_keys(1, ("US", "DE"), "t").items()}
    pool = WorkerPool(chains, {"US": 2.0, "DE": 1.0}, 2,
                      lambda i: BrokenSink(tmp_path / f"{i}.jsonl") if i == 1 else
                      FileSink(tmp_path / f"{i}.jsonl"))
    with pytest.raises(WorkerError, match=r"worker 1 \(DE\) failed: RuntimeError: broker refused"):
        for t in range(1, 100_000):
            pool.checkpoint("DE", t)
            pool.checkpoint("US", t)
    pool.abort()
    assert all(not p.is_alive() for p in pool._procs)


def test_a_killed_worker_is_reported_with_its_exit_code(tmp_path):
    chains = {p: NodeChain(k) for p, k in node_keys(1, ("US", "DE"), "t").items()}
    pool = WorkerPool(chains, {"US": 2.0, "DE": 1.0}, 2, lambda i: FileSink(tmp_path / f"{i}.jsonl"))
    pool._procs[0].kill()
    pool._procs[0].join(5)
    with pytest.raises(WorkerError, match=r"worker 0 \(US\) died \(exit code -9\)"):
        for t in range(1, 100_000):
            pool.checkpoint("US", t)
        pool.flush()
    pool.abort()


def test_workers_return_their_chain_heads_for_saving(tmp_path):
    chains = {p: NodeChain(k) for p, k in node_keys(1, ("US", "DE", "FR"), "t").items()}
    serial = {p: NodeChain(k) for p, k in node_keys(1, ("US", "DE", "FR"), "t").items()}
    pool = WorkerPool(chains, {"US": 2.0, "DE": 1.0, "FR": 1.0}, 2,
                      lambda i: FileSink(tmp_path / f"{i}.jsonl"))
    for t in range(1, 3000):
        party = ("US", "DE", "FR")[t % 3]
        pool.checkpoint(party, t)
        serial[party].append_checkpoint(t)
    pool.close()
    assert {p: c.state() for p, c in chains.items()} == {p: c.state() for p, c in serial.items()}
    assert pool.heads["US"].seq == serial["US"].seq


def test_a_paced_stream_hands_small_batches_over_without_waiting_for_a_full_one(tmp_path):
    import time

    from producers.parallel import LINGER_S

    chains = {p: NodeChain(k) for p, k in node_keys(1, ("US", "DE"), "t").items()}
    pool = WorkerPool(chains, {"US": 2.0, "DE": 1.0}, 2, lambda i: FileSink(tmp_path / f"{i}.jsonl"))
    pool.checkpoint("US", 1)
    pool.checkpoint("DE", 1)
    pool._sent_at = time.monotonic()
    pool.nudge()                      # too soon: stays batched
    time.sleep(0.3)
    assert list(pool.written) == [0, 0]
    time.sleep(LINGER_S)
    pool.nudge()                      # what _pace calls while ahead of the clock
    deadline = time.monotonic() + 5
    while list(pool.written) != [1, 1] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert list(pool.written) == [1, 1]
    pool.close()


def test_a_reply_that_arrives_before_the_generator_looks_for_it_is_not_lost(tmp_path):
    import threading

    chains = {p: NodeChain(k) for p, k in node_keys(1, ("US", "DE"), "t").items()}
    pool = WorkerPool(chains, {"US": 2.0, "DE": 1.0}, 2, lambda i: FileSink(tmp_path / f"{i}.jsonl"))

    def flushes() -> None:
        for t in range(1, 300):     # a worker often answers "flushed" before the next send polls
            pool.checkpoint("US", t)
            pool.flush()
        pool.close()

    thread = threading.Thread(target=flushes, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "flush waited for an answer it had already read"
    assert chains["US"].seq == 299


def test_workers_exit_when_the_generating_process_is_killed(tmp_path):
    import os
    import signal
    import time

    script = tmp_path / "gen.py"
    script.write_text(
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from custodes.signing import NodeChain\n"
        "from producers.parallel import WorkerPool\n"
        "from producers.sinks import FileSink\n"
        "from producers.state import node_keys\n"
        "chains = {p: NodeChain(k) for p, k in node_keys(1, ('US', 'DE'), 't').items()}\n"
        f"pool = WorkerPool(chains, {{'US': 2.0, 'DE': 1.0}}, 2, lambda i: FileSink({str(tmp_path)!r} + f'/{{i}}'))\n"
        "print(' '.join(str(p.pid) for p in pool._procs), flush=True)\n"
        "time.sleep(60)\n")
    gen = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pids = [int(p) for p in gen.stdout.readline().split()]
    assert len(pids) == 2
    gen.send_signal(signal.SIGKILL)
    gen.wait(10)
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in pids if Path(f"/proc/{p}").exists()
                 and "zombie" not in Path(f"/proc/{p}/status").read_text().lower()]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == [], "orphaned workers kept running"


def _ignored(pid: int) -> int:
    """The SigIgn mask of a process (bit n-1 = signal n ignored)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return int(line.split()[1], 16)
    raise AssertionError("no SigIgn")


def test_workers_ignore_sigint_and_sigterm_and_the_generator_keeps_its_handlers(tmp_path):
    import signal

    chains = {p: NodeChain(k) for p, k in node_keys(1, ("US", "DE"), "t").items()}
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    pool = WorkerPool(chains, {"US": 2.0, "DE": 1.0}, 2, lambda i: FileSink(tmp_path / f"{i}.jsonl"))
    try:
        for proc in pool._procs:
            mask = _ignored(proc.pid)
            assert mask & (1 << (signal.SIGINT - 1)) and mask & (1 << (signal.SIGTERM - 1)), hex(mask)
        assert {s: signal.getsignal(s) for s in before} == before
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == set()
        for proc in pool._procs:     # a SIGTERM to the process group does not kill them
            os.kill(proc.pid, signal.SIGTERM)
        pool.checkpoint("US", 1)
        pool.checkpoint("DE", 1)
        pool.close()
    finally:
        pool.abort()
    assert chains["US"].seq == 1 and chains["DE"].seq == 1


def test_a_short_part_file_fails_the_merge_instead_of_dropping_events(tmp_path):
    from producers.parallel import merge

    parts = [tmp_path / "p0", tmp_path / "p1"]
    parts[0].write_bytes(b"a1\na2\n")
    parts[1].write_bytes(b"b1\n")                 # b2 is missing
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"old\n")
    with pytest.raises(WorkerError, match=r"merge: .*p1 ended early"):
        merge(out, parts, bytearray([0, 1, 0, 1]), append=True)
    assert out.read_bytes() == b"old\n"           # the file is left as it was


def test_a_part_file_without_a_final_newline_fails_the_merge(tmp_path):
    from producers.parallel import merge

    parts = [tmp_path / "p0"]
    parts[0].write_bytes(b"a1\na2")
    with pytest.raises(WorkerError, match=r"ended early"):
        merge(tmp_path / "out.jsonl", parts, bytearray([0, 0]), append=False)
