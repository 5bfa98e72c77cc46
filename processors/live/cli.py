"""`custodes process`: run the live processor (foreground, or in the background with a clean stop).

    custodes process [--bootstrap-servers H:P] [--database-url URL] [--policy P.toml]
                     [--trust T.toml] [--batch-size N] [--max-wait-ms MS] [--runner faust|plain]
    custodes process --background [--pidfile F] [--logfile F]   # detach, write a pid file
    custodes process --stop [--pidfile F]                       # SIGTERM, wait for the last commit

A progress/health line goes to stderr every few seconds. SIGTERM or Ctrl-C
finish the batch in hand, commit it, publish it, and exit 0.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

DEFAULT_RUNNER = "faust"  # passes the live tests (docs/live.md); "plain" is the kafka-python loop


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "process", help="run the live processor: Kafka events -> rules, archive, projections",
        description="Consume node events from Kafka, quarantine bad input, archive every "
        "accepted event, run the rule core at the low watermark, publish findings, and keep "
        "the supervisors' projections in PostgreSQL; positions are committed with the rows, "
        "so a restart or a redelivery never loses or double-counts an event.")
    p.add_argument("--bootstrap-servers", metavar="HOST:PORT",
                   help="Kafka bootstrap servers (default: KAFKA_BOOTSTRAP_SERVERS)")
    p.add_argument("--database-url", metavar="URL", help="PostgreSQL (default: DATABASE_URL)")
    p.add_argument("--policy", metavar="POLICY.toml", help="policy (default: CUSTODES_POLICY "
                   "or the spec's defaults)")
    p.add_argument("--trust", metavar="TRUST.toml", help="trust file; checkpoint signatures are "
                   "verified only when given (default: CUSTODES_TRUST)")
    p.add_argument("--topic", metavar="TOPIC", help="node events topic (default: ebsp.events.v1 "
                   "with CUSTODES_TOPIC_PREFIX)")
    p.add_argument("--findings-topic", metavar="TOPIC", help="default: ebsp.findings.v1")
    p.add_argument("--quarantine-topic", metavar="TOPIC", help="default: ebsp.quarantine.v1")
    p.add_argument("--nodes", metavar="P,P,...",
                   help="nodes whose checkpoints the watermark waits for (default: every node "
                   "of the trust file; without trust, the nodes seen, as SPEC §5 states)")
    p.add_argument("--runner", choices=("faust", "plain"), default=DEFAULT_RUNNER,
                   help="faust: a faust-streaming worker (one agent over the events topic, "
                   "seeking to the positions stored in PostgreSQL); plain: a kafka-python loop "
                   "with manual assignment. Same pipeline, store and guarantees "
                   f"(default: {DEFAULT_RUNNER}; see docs/live.md)")
    p.add_argument("--consumer", default="live", metavar="NAME",
                   help="name under which positions are stored (default: live)")
    p.add_argument("--batch-size", type=int, default=5000, metavar="N",
                   help="records per transaction at most (default 5000; a batch also closes "
                   "after --max-wait-ms)")
    p.add_argument("--max-wait-ms", type=int, default=200, metavar="MS",
                   help="longest wait to fill a batch (default 200)")
    p.add_argument("--exit-when-idle", type=float, metavar="SECONDS",
                   help="exit once no record arrived for this long (catch-up runs, tests)")
    p.add_argument("--background", action="store_true",
                   help="detach; log to --logfile, pid in --pidfile")
    p.add_argument("--stop", action="store_true", help="stop the background processor cleanly")
    p.add_argument("--pidfile", metavar="FILE", help="default: <state dir>/process.pid")
    p.add_argument("--logfile", metavar="FILE", help="default: <state dir>/process.log")
    p.set_defaults(func=run)


def _state_paths(args: argparse.Namespace, settings: Any) -> tuple[Path, Path]:
    state = Path(settings.state_dir)
    return (Path(args.pidfile) if args.pidfile else state / "process.pid",
            Path(args.logfile) if args.logfile else state / "process.log")


def _log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from custodes.settings import Settings

    settings = Settings.from_env()
    pidfile, logfile = _state_paths(args, settings)
    if args.stop:
        return _stop(pidfile)
    if args.background:
        return _detach(pidfile, logfile)
    if args.batch_size < 1 or args.max_wait_ms < 1:
        print("custodes process: --batch-size and --max-wait-ms must be positive", file=sys.stderr)
        return 2
    from custodes.policy import load_policy
    from custodes.trust import load_trust

    try:
        policy = load_policy(args.policy or settings.policy_path)
        trust_path = args.trust or settings.trust_path
        trust = load_trust(trust_path) if trust_path else None
    except (ValueError, OSError) as exc:
        print(f"custodes process: {exc}", file=sys.stderr)
        return 2
    from processors.live.runner import KafkaRunner, RunnerConfig

    cfg = RunnerConfig(
        bootstrap=args.bootstrap_servers or settings.kafka_bootstrap_servers,
        database_url=args.database_url or settings.database_url,
        events_topic=args.topic or settings.events_topic,
        findings_topic=args.findings_topic or settings.findings_topic,
        quarantine_topic=args.quarantine_topic or settings.quarantine_topic,
        policy=policy, trust=trust, consumer=args.consumer,
        nodes=[n.strip() for n in args.nodes.split(',') if n.strip()] if args.nodes else None, batch_size=args.batch_size,
        max_wait_ms=args.max_wait_ms, exit_when_idle_s=args.exit_when_idle)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        _log(f"signal {signum}: finishing the batch in hand, then stopping")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    _log(f"process: {cfg.events_topic} @ {cfg.bootstrap} -> PostgreSQL; batch {cfg.batch_size}, "
         f"{cfg.max_wait_ms} ms; trust {'on' if trust else 'off'}; runner {args.runner}")
    if args.runner == "faust":
        from processors.live.faust_runner import FaustRunner

        return FaustRunner(cfg, _log, stop).run()
    return KafkaRunner(cfg, _log, stop).run()


def _detach(pidfile: Path, logfile: Path) -> int:
    if pidfile.exists() and _alive(int(pidfile.read_text().strip() or 0)):
        print(f"custodes process: already running (pid {pidfile.read_text().strip()}, "
              f"{pidfile})", file=sys.stderr)
        return 1
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    argv = [a for a in sys.argv[1:] if a != "--background"]
    with open(logfile, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "custodes.cli", *argv], stdout=log,
                                stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    pidfile.write_text(f"{proc.pid}\n")
    print(f"custodes process: started in the background, pid {proc.pid}\n"
          f"  log:  {logfile}\n  stop: custodes process --stop", file=sys.stderr)
    return 0


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _stop(pidfile: Path, timeout_s: float = 60.0) -> int:
    if not pidfile.exists():
        print(f"custodes process: not running (no {pidfile})", file=sys.stderr)
        return 0
    pid = int(pidfile.read_text().strip() or 0)
    if not _alive(pid):
        pidfile.unlink(missing_ok=True)
        print("custodes process: not running (stale pid file removed)", file=sys.stderr)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        print(f"custodes process: pid {pid} still running after {timeout_s:.0f}s", file=sys.stderr)
        return 1
    pidfile.unlink(missing_ok=True)
    print(f"custodes process: stopped (pid {pid})", file=sys.stderr)
    return 0
