"""Session fixtures for tests that need the real Kafka and PostgreSQL.

Where the services come from, in this order:
1. `KAFKA_BOOTSTRAP_SERVERS` / `DATABASE_URL` from the environment
   (`bash scripts/test.sh` sets them from `custodes stack up`);
2. throwaway containers, when a Docker engine answers;
3. otherwise the test fails (it is not skipped) and says how to start the stack.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from functools import cache

import pytest

from custodes.stack.pg_client import create_database, drop_database

HOW_TO_START = (
    "no {what} for this test: {var} is not set and no Docker engine answers.\n"
    "Start the local stack and point the tests at it:\n"
    "    .venv/bin/custodes stack up && eval \"$(.venv/bin/custodes stack env)\"\n"
    "or run everything in one go:  bash scripts/test.sh"
)


@cache
def docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """`host:port` of a Kafka broker."""
    if address := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield address
        return
    if not docker_engine_answers():
        pytest.fail(HOW_TO_START.format(what="Kafka", var="KAFKA_BOOTSTRAP_SERVERS"),
                    pytrace=False)
    from custodes.stack.containers import kafka_container

    with kafka_container() as address:
        yield address


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """SQLAlchemy URL (`postgresql+psycopg://…`) of a role allowed to create databases."""
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    if not docker_engine_answers():
        pytest.fail(HOW_TO_START.format(what="PostgreSQL", var="DATABASE_URL"), pytrace=False)
    from custodes.stack.containers import postgres_container

    with postgres_container() as url:
        yield url


@pytest.fixture
def fresh_database(database_url: str) -> Iterator[str]:
    """URL of an empty database made for this test alone, dropped after it."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = create_database(database_url, name)
    try:
        yield url
    finally:
        drop_database(database_url, name)


@pytest.fixture
def unique_topic() -> str:
    """A topic name no other test uses (auto-created on first use, or create it yourself)."""
    return f"test.{uuid.uuid4().hex}"
