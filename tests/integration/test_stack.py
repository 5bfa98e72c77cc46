"""`custodes stack`: reports what runs, `up` is idempotent, taken ports fail fast."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from custodes.stack import kafka, postgres
from custodes.stack.layout import Layout, stack_env
from custodes.stack.ports import PortTaken, ensure_port_free, port_is_free
from custodes.stack.progress import Progress


def custodes(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "custodes.cli", *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def local_stack(kafka_bootstrap: str, database_url: str) -> None:
    if (kafka_bootstrap, database_url) != tuple(stack_env().values()):
        pytest.skip("this run uses services other than the local stack (e.g. containers)")


@pytest.mark.integration
@pytest.mark.usefixtures("local_stack")
def test_status_reports_both_services_running() -> None:
    done = custodes("stack", "status")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "postgres   running" in done.stdout
    assert "kafka      running" in done.stdout
    assert "127.0.0.1:19092" in done.stdout and "127.0.0.1:15432" in done.stdout
    assert "export DATABASE_URL=" in done.stdout


@pytest.mark.integration
@pytest.mark.usefixtures("local_stack")
def test_up_on_a_running_stack_is_quick_and_succeeds() -> None:
    started = time.monotonic()
    done = custodes("stack", "up")
    took = time.monotonic() - started

    assert done.returncode == 0, done.stdout + done.stderr
    assert "already running" in done.stdout
    assert "topics ready: ebsp.events.v1, ebsp.findings.v1, ebsp.quarantine.v1" in done.stdout
    assert took < 20


@pytest.fixture
def bound_port() -> Iterator[int]:
    """A loopback port held by a socket that is not one of our services."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_a_port_held_by_another_program_gives_a_clear_error(bound_port: int) -> None:
    assert not port_is_free("127.0.0.1", bound_port)
    with pytest.raises(PortTaken, match=rf"127\.0\.0\.1:{bound_port} is needed by Kafka"
                                        rf".*ss -ltnp 'sport = :{bound_port}'"):
        ensure_port_free("127.0.0.1", bound_port, "Kafka")


def test_a_free_port_is_free() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert port_is_free("127.0.0.1", port)


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A loopback port that accepts connections and never answers: not Kafka, not PostgreSQL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_up_fails_fast_when_the_kafka_port_is_held_by_something_else(
    silent_listener: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kafka, "KAFKA_PORT", silent_listener)
    monkeypatch.setattr(kafka, "KAFKA_BOOTSTRAP", f"127.0.0.1:{silent_listener}")
    started = time.monotonic()
    with pytest.raises(PortTaken, match=rf"127\.0\.0\.1:{silent_listener} is in use but no Kafka"):
        kafka.up(Layout(tmp_path), Progress())
    assert time.monotonic() - started < 15


def test_up_fails_fast_when_the_postgres_port_is_held_by_something_else(
    silent_listener: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "PG_PORT", silent_listener)
    monkeypatch.setattr(postgres, "ADDRESS", f"127.0.0.1:{silent_listener}")
    monkeypatch.setattr(postgres, "DATABASE_URL",
                        f"postgresql+psycopg://custodes:custodes@127.0.0.1:{silent_listener}/x")
    started = time.monotonic()
    with pytest.raises(PortTaken, match=rf"127\.0\.0\.1:{silent_listener} is in use but no "
                                        "PostgreSQL"):
        postgres.up(Layout(tmp_path), Progress())
    assert time.monotonic() - started < 15
