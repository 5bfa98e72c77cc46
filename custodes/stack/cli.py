"""`custodes stack up|down|status|env|smoke`: the local Kafka and PostgreSQL."""
from __future__ import annotations

import argparse
import logging
import shlex
import sys
from typing import Any

from custodes.settings import Settings
from custodes.stack.errors import StackError
from custodes.stack.layout import (
    HOST,
    KAFKA_BOOTSTRAP,
    PG_PORT,
    SMOKE_TOPIC,
    find_layout,
    stack_env,
)
from custodes.stack.progress import Progress

NOT_RUNNING = 3


def register(subparsers: Any) -> None:
    stack = subparsers.add_parser(
        "stack", help="start, stop and inspect the local Kafka and PostgreSQL",
        description="The local services every Custodes process needs: a Kafka broker on "
        f"{KAFKA_BOOTSTRAP} and PostgreSQL on {HOST}:{PG_PORT}, state kept in .local/.",
    )
    stack.set_defaults(func=lambda _args: _usage(stack))
    actions = stack.add_subparsers(dest="stack_action", metavar="ACTION")

    up = actions.add_parser(
        "up", help="start Kafka and PostgreSQL and wait until they answer",
        description="Start both services (idempotent: services already answering on the "
        "expected ports are reused, also when another checkout started them), wait until "
        "Kafka answers an admin call and PostgreSQL answers `select 1`, create the "
        "ebsp.* topics, then print the environment to use.",
    )
    up.add_argument("--kafka-timeout", type=float, default=90.0, metavar="SECONDS",
                    help="how long to wait for Kafka to answer (default 90)")
    up.add_argument("--pg-timeout", type=float, default=30.0, metavar="SECONDS",
                    help="how long to wait for PostgreSQL to answer (default 30)")
    up.set_defaults(func=_up)

    down = actions.add_parser(
        "down", help="stop the services this checkout started",
        description="Stop Kafka and PostgreSQL cleanly. Services started from another "
        "checkout are left running. Data in .local/ is kept.",
    )
    down.set_defaults(func=_down)

    status = actions.add_parser(
        "status", help="say what runs where; exit 0 if both answer, 3 otherwise",
        description="Show pid, address, data directory and log of each service. Exit "
        "status 0 when Kafka and PostgreSQL both answer, 3 otherwise.",
    )
    status.set_defaults(func=_status)

    env = actions.add_parser(
        "env", help="print `export` lines: eval \"$(custodes stack env)\"",
        description="Print the environment variables that point Custodes at the local "
        "stack, as shell `export` lines for eval.",
    )
    env.set_defaults(func=_env)

    smoke = actions.add_parser(
        "smoke", help="send one event through Kafka into PostgreSQL",
        description="Produce one event (acks=all), consume it back and store it in the "
        "stack_smoke schema of the database; print what was stored. Uses "
        "KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL when set, else the local stack.",
    )
    smoke.add_argument("--topic", default=SMOKE_TOPIC, help=f"default {SMOKE_TOPIC}")
    smoke.set_defaults(func=_smoke)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _quiet_kafka_client() -> None:
    """kafka-python logs every refused connection while a broker starts: not news here."""
    logging.getLogger("kafka").setLevel(logging.CRITICAL)


def _fail(action: str, error: Exception) -> int:
    print(f"custodes stack {action}: FAILED\n{error}", file=sys.stderr, flush=True)
    return 1


def _up(args: argparse.Namespace) -> int:
    from custodes.stack import kafka, postgres  # lazily: psycopg/kafka load only when used

    _quiet_kafka_client()
    layout, progress = find_layout(), Progress()
    try:
        postgres.up(layout, progress, timeout_s=args.pg_timeout)
        kafka.up(layout, progress, timeout_s=args.kafka_timeout)
    except StackError as error:
        return _fail("up", error)
    print(f"stack up in {progress.elapsed():.1f} s. Environment "
          "(eval \"$(custodes stack env)\"):")
    _env(args)
    return 0


def _down(args: argparse.Namespace) -> int:
    from custodes.stack import kafka, postgres  # lazily: psycopg/kafka load only when used

    _quiet_kafka_client()
    layout, progress = find_layout(), Progress()
    try:
        kafka.down(layout, progress)
        postgres.down(layout, progress)
    except StackError as error:
        return _fail("down", error)
    return 0


def _status(args: argparse.Namespace) -> int:
    from custodes.stack import kafka, postgres  # lazily: psycopg/kafka load only when used

    _quiet_kafka_client()
    layout = find_layout()
    services = [postgres.status(layout), kafka.status(layout)]
    for service in services:
        print(service.describe())
    _env(args)
    return 0 if all(s.answering for s in services) else NOT_RUNNING


def _env(args: argparse.Namespace) -> int:
    for name, value in stack_env().items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def _smoke(args: argparse.Namespace) -> int:
    from kafka.errors import KafkaError
    from sqlalchemy.exc import SQLAlchemyError

    from custodes.stack.smoke import run_smoke  # SQLAlchemy only when asked for

    _quiet_kafka_client()
    settings = Settings.from_env()  # the local stack unless the environment says otherwise
    try:
        result = run_smoke(settings.kafka_bootstrap_servers, settings.database_url, args.topic)
    except (KafkaError, SQLAlchemyError, OSError, TimeoutError) as error:
        return _fail("smoke", error)
    row = result.row
    print(f"smoke: event {result.event['id']} produced to {row['topic']}"
          f"[{row['partition']}]@{row['offset']}, consumed and stored in "
          f"stack_smoke.deliveries in {result.seconds:.2f} s")
    return 0 if row["event"] == result.event else 1
