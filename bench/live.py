"""Benchmark of the live processor: throughput, latency at 1,000 events/s, memory of 1M clocks.

    .venv/bin/python bench/live.py [--minutes 10] [--runner faust|plain] [--clocks 1000000]
                                   [--skip ...]

1. bare: a kafka-python produce→consume loop of the same message size (the ceiling).
2. throughput: the simulator streams into a fresh topic at an offered rate (--rate,
   default 5,500 events/s: the --speed that gives it is calibrated from a short file
   run of the same world; --rate max = as fast as it can) while the processor (in
   this process, real Kafka and PostgreSQL, fresh database; --runner, default the
   Faust worker that `custodes process` runs by default) runs; after a 20 s
   warm-up, a window of --minutes: events/s = events whose batch (archive +
   projections + positions) was committed in the window, over the window; p50/p99
   of commit time - producer timestamp in the window; the lag left at the end.
   Sustained = the committed rate keeps up with the offered one, the lag stays small.
   The simulator, Kafka and PostgreSQL share the machine with the processor: at
   --rate max the simulator alone takes a core, which the processor then lacks.
3. latency: a pre-generated month of events produced at a fixed 1,000 events/s;
   latency = commit time − the record's producer timestamp; p50/p99 of the commits
   after a 5 s warm-up (the processor starting, the Faust worker joining its group,
   while the producer already runs).
4. memory (run first, in a fresh process): RSS growth of an engine + projector holding
   --clocks open retention clocks (transfers never deleted, no checkpoint: nothing
   decided, everything kept).
Progress goes to stderr; a summary table to stdout. Needs `custodes stack up`.
"""
from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from array import array
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from custodes.policy import load_policy
from custodes.settings import Settings
from custodes.stack.pg_client import create_database, drop_database
from custodes.trust import load_trust
from processors.live.faust_runner import FaustRunner
from processors.live.runner import KafkaRunner, RunnerConfig

RUNNERS: dict[str, type[KafkaRunner]] = {"faust": FaustRunner, "plain": KafkaRunner}

CUSTODES = str(ROOT / ".venv/bin/custodes")


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} bench: {msg}", file=sys.stderr, flush=True)


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def drop_quietly(database_url: str, name: str) -> None:
    """Drop a bench database; a refusal (a backend still attached) must not lose the figures."""
    try:
        drop_database(database_url, name)
    except Exception as exc:  # noqa: BLE001 - reported, the measurement stands
        log(f"could not drop database {name}: {exc!r:.200}")


def new_topic(bootstrap: str, partitions: int = 4) -> str:
    topic = f"bench.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    admin.close()
    return topic


def bare_loop(bootstrap: str, n: int = 50_000, size: int = 600) -> tuple[float, float]:
    topic = new_topic(bootstrap, 1)
    value = b"x" * size
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    t0 = time.perf_counter()
    for _ in range(n):
        producer.send(topic, value)
    producer.flush()
    produce_rate = n / (time.perf_counter() - t0)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got, t0 = 0, time.perf_counter()
    while got < n:
        for recs in consumer.poll(timeout_ms=500, max_records=5000).values():
            got += len(recs)
    consume_rate = n / (time.perf_counter() - t0)
    producer.close()
    consumer.close()
    return produce_rate, consume_rate


class Meter:
    """Counts committed events and the latency of each record, from the runner's hook.

    With `windowed`, only commits inside [window_start, window_end) (time.time()) count:
    none before the window starts (the warm-up)."""

    def __init__(self, windowed: bool = False) -> None:
        self.windowed = windowed
        self.committed = 0
        self.latencies = array("d")
        self.first_commit: float | None = None
        self.window_start: float | None = None
        self.window_end: float | None = None
        self.lock = threading.Lock()

    def __call__(self, batch, commit_time: float, records) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            if self.first_commit is None:
                self.first_commit = commit_time
            if self.windowed and (self.window_start is None or commit_time < self.window_start
                                  or (self.window_end is not None
                                      and commit_time >= self.window_end)):
                return
            self.committed += batch.records
            for r in records:
                if r.timestamp_ms:
                    self.latencies.append(commit_time - r.timestamp_ms / 1000)

    def percentiles(self) -> dict[str, float]:
        lat = sorted(self.latencies)
        pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
        return {"events": len(lat), "p50": pick(0.50), "p99": pick(0.99),
                "max": lat[-1] if lat else float("nan")}


def run_processor(settings: Settings, runner_name: str, topic: str, db: str, trust,  # type: ignore[no-untyped-def]
                  seconds: float, meter: Meter, batch_size: int = 5000, warmup: float = 0.0,
                  snapshot: Callable[[KafkaRunner], None] | None = None) -> KafkaRunner:
    """Run the processor in this (main) thread: the Faust worker installs signal handlers,
    which only the main thread may; a timer thread opens and closes the window, then stops it."""
    cfg = RunnerConfig(bootstrap=settings.kafka_bootstrap_servers, database_url=db,
                       events_topic=topic, findings_topic=f"{topic}.findings",
                       quarantine_topic=f"{topic}.quarantine", policy=load_policy(None),
                       trust=trust, batch_size=batch_size, max_wait_ms=200)
    stop = threading.Event()
    runner = RUNNERS[runner_name](cfg, lambda m: log(m), stop)
    runner.on_commit = meter
    done = threading.Event()  # the runner returned (it may have failed early)

    def clock() -> None:
        if warmup:
            done.wait(warmup)
            with meter.lock:
                meter.window_start = time.time()
            if snapshot is not None:
                snapshot(runner)
        done.wait(seconds)
        with meter.lock:
            meter.window_end = time.time()
        if snapshot is not None:
            snapshot(runner)
        stop.set()

    timer = threading.Thread(target=clock, daemon=True)
    timer.start()
    try:
        code = runner.run()
    finally:
        done.set()
        timer.join()
    if code:
        raise SystemExit(f"the {runner_name} runner exited with status {code}")
    return runner


SIM_WORLD = ["--seed", "3", "--scale", "0.05", "--inject", "default",
             "--config", str(ROOT / "producers/config/fast.toml")]


def events_per_sim_second(workdir: Path, days: int = 30) -> float:
    """Event density of the bench's simulated world (a short file run, same seed and scale)."""
    out = workdir / "calibrate.jsonl"
    subprocess.run([CUSTODES, "simulate", *SIM_WORLD, "--duration", f"{days}d", "--out", str(out),
                    "--trust-out", str(workdir / "calibrate-trust.toml"),
                    "--truth-out", str(workdir / "calibrate-truth.jsonl")],
                   check=True, capture_output=True)
    with out.open("rb") as fh:
        n = sum(1 for _ in fh)
    out.unlink()
    return n / (days * 86_400)


def lag_of(bootstrap: str, topic: str, runner: KafkaRunner) -> tuple[int, int]:
    """(records produced, records produced but not committed) of the topic."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
    ends = consumer.end_offsets(parts)
    consumer.close()
    stored = runner.stored
    return (sum(ends.values()),
            sum(o - stored.get((tp.topic, tp.partition), 0) for tp, o in ends.items()))


def throughput(settings: Settings, runner: str, minutes: float, workdir: Path, rate: str
               ) -> dict[str, float]:
    speed = "max"
    if rate != "max":
        density = events_per_sim_second(workdir)
        speed = f"{float(rate) / density:.0f}"
        log(f"offered {float(rate):,.0f} events/s: {density:.4f} events per simulated second, "
            f"--speed {speed}")
    topic = new_topic(settings.kafka_bootstrap_servers)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    db = create_database(settings.database_url, name)
    sim = subprocess.Popen(
        [CUSTODES, "simulate", *SIM_WORLD, "--duration", "3000d",
         "--out", "kafka", "--topic", topic, "--speed", speed,
         "--bootstrap-servers", settings.kafka_bootstrap_servers,
         "--state-dir", str(workdir / "sim-state"), "--trust-out", str(workdir / "trust.toml"),
         "--truth-out", str(workdir / "truth.jsonl")],
        stdout=subprocess.DEVNULL, stderr=open(workdir / "sim.log", "wb"))
    warmup = 20.0
    try:
        while not (workdir / "trust.toml").exists():
            if sim.poll() is not None:
                raise SystemExit(f"simulator exited: {(workdir / 'sim.log').read_text()[-500:]}")
            time.sleep(0.2)
        if rate == "max":
            time.sleep(5)  # a head start, so the processor is never starved
        meter = Meter(windowed=True)
        marks: list[tuple[int, int]] = []  # (produced, lag) at the window's start and end
        run_processor(settings, runner, topic, db, load_trust(workdir / "trust.toml"),
                      minutes * 60, meter, warmup=warmup,
                      snapshot=lambda r: marks.append(lag_of(settings.kafka_bootstrap_servers,
                                                             topic, r)))
        assert meter.window_start is not None and meter.window_end is not None
        elapsed = meter.window_end - meter.window_start
        (produced0, lag0), (produced, lag) = marks
    finally:
        sim.terminate()
        sim.wait()
    drop_quietly(settings.database_url, name)
    return {"committed": meter.committed, "seconds": elapsed, "rate": meter.committed / elapsed,
            "produced": produced - produced0, "produced_rate": (produced - produced0) / elapsed,
            "lag0": lag0, "lag": lag, **meter.percentiles()}


LATENCY_WARMUP_S = 5.0  # the processor's start-up (the Faust worker joins its group)


def latency(settings: Settings, runner: str, workdir: Path, rate: int = 1000,
            seconds: float = 60) -> dict[str, float]:
    events = workdir / "month.jsonl"
    subprocess.run([CUSTODES, "simulate", "--seed", "5", "--duration", "35d", "--scale", "0.01",
                    "--inject", "default", "--config", str(ROOT / "producers/config/test.toml"),
                    "--out", str(events), "--trust-out", str(workdir / "month-trust.toml"),
                    "--truth-out", str(workdir / "month-truth.jsonl")],
                   check=True, capture_output=True)
    lines = [ln for ln in events.read_bytes().splitlines() if ln.strip()]
    lines = lines[: int(rate * seconds)]
    topic = new_topic(settings.kafka_bootstrap_servers)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    db = create_database(settings.database_url, name)
    import orjson

    def produce() -> None:
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                 linger_ms=1)
        start = time.perf_counter()
        for i, line in enumerate(lines):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            key = orjson.loads(line)["source"].rsplit(":", 1)[-1].encode()
            producer.send(topic, key=key, value=line)
        producer.flush()
        producer.close()

    meter = Meter(windowed=True)
    feeder = threading.Thread(target=produce, daemon=True)
    started = time.time()
    feeder.start()
    run_processor(settings, runner, topic, db, load_trust(workdir / "month-trust.toml"),
                  len(lines) / rate, meter, batch_size=500, warmup=LATENCY_WARMUP_S)
    feeder.join()
    if meter.first_commit is not None:
        log(f"latency: first commit {meter.first_commit - started:.1f}s after producing started "
            f"(start-up; commits in the first {LATENCY_WARMUP_S:.0f}s are not counted)")
    drop_quietly(settings.database_url, name)
    return meter.percentiles()


def memory(clocks: int) -> dict[str, float]:
    """RSS growth while an engine + projector hold `clocks` open retention clocks."""
    from engine_memory import transfers  # bench/ is this script's directory: the same events

    from processors.core.engine import Engine
    from store.projections import Deltas, Projector

    policy = load_policy(None)
    engine, projector = Engine(policy), Projector(policy)
    gc.collect()
    before = rss_mib()
    t0, scratch = time.monotonic(), Deltas()
    for i, event in enumerate(transfers(clocks)):
        engine.ingest(event)
        projector.apply(event, scratch)
        if i % 5000 == 0:
            scratch = Deltas()
        if i and i % 200_000 == 0:
            log(f"memory: {i:,} clocks, RSS +{rss_mib() - before:,.0f} MiB")
    gc.collect()
    after = rss_mib()
    return {"clocks": engine.stats()["retention_clocks"], "mib": after - before,
            "seconds": time.monotonic() - t0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0,
                        help="sustained-throughput window (default 10)")
    parser.add_argument("--rate", default="5500",
                        help="events/s the simulator offers in the throughput phase, or max "
                        "(default 5500)")
    parser.add_argument("--runner", choices=sorted(RUNNERS), default="faust",
                        help="the processor measured in the throughput and latency phases "
                        "(default faust, as `custodes process`)")
    parser.add_argument("--clocks", type=int, default=1_000_000,
                        help="open retention clocks for the memory figure (default 1,000,000)")
    parser.add_argument("--skip", default="", help="comma list of bare,throughput,latency,memory")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    settings = Settings.from_env()
    results: list[str] = []
    with tempfile.TemporaryDirectory(prefix="custodes-bench-") as tmp:
        work = Path(tmp)
        if "memory" not in skip:  # first: RSS growth in a fresh process (freed arenas of the
            # other phases would otherwise be reused and hide most of it)
            log(f"memory with {args.clocks:,} open retention clocks")
            m = memory(args.clocks)
            results.append(f"memory, open clocks        {m['clocks']:,} clocks: +{m['mib']:,.0f} "
                           f"MiB RSS ({m['seconds']:.0f}s to build)  target <= 512 MiB for 1M")
        if "bare" not in skip:
            log("bare kafka-python produce/consume loop")
            p, c = bare_loop(settings.kafka_bootstrap_servers)
            results.append(f"bare kafka-python loop     produce {p:,.0f} msg/s, consume {c:,.0f} "
                           "msg/s (600-byte messages)")
        if "throughput" not in skip:
            log(f"sustained throughput for {args.minutes} min, offered {args.rate} events/s, "
                f"{args.runner} runner")
            t = throughput(settings, args.runner, args.minutes, work, args.rate)
            results.append(f"sustained end-to-end       {args.runner} runner: "
                           f"{t['rate']:,.0f} events/s committed "
                           f"({t['committed']:,} in the {t['seconds']:.0f}s window; offered "
                           f"{args.rate}/s, simulator produced {t['produced']:,} in the window, "
                           f"{t['produced_rate']:,.0f}/s; lag {t['lag0']:,} at its start, "
                           f"{t['lag']:,} at its end; produce->commit p50 "
                           f"{t['p50'] * 1000:,.0f} ms, p99 {t['p99'] * 1000:,.0f} ms)  "
                           "target >= 5,000")
        if "latency" not in skip:
            log(f"latency at 1,000 events/s, {args.runner} runner")
            lat = latency(settings, args.runner, work)
            results.append(f"latency at 1,000 events/s  {args.runner} runner: p50 "
                           f"{lat['p50'] * 1000:,.0f} ms, p99 "
                           f"{lat['p99'] * 1000:,.0f} ms, max {lat['max'] * 1000:,.0f} ms over "
                           f"{lat['events']:,} events  target p99 <= 1,000 ms")
    print(f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("\n".join(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
