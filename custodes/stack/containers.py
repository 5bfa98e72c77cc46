"""Kafka and PostgreSQL in throwaway containers (testcontainers), for test runs on a
machine that has a Docker engine but no `custodes stack up`.

testcontainers' own KafkaContainer drives Confluent images only, so the
apache/kafka image (the version pinned in ops/kafka/pom.xml) runs as a generic
container configured through its KAFKA_* variables, like docker-compose.yml.
"""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from custodes.stack.errors import StackError
from custodes.stack.kafka_admin import kafka_answers
from custodes.stack.kafka_files import kafka_version
from custodes.stack.layout import PG_DATABASE, PG_PASSWORD, PG_USER, find_layout

PG_IMAGE = "postgres:15"


def kafka_image() -> str:
    return f"apache/kafka:{kafka_version(find_layout())}"


def kafka_single_node_env(advertised: str) -> dict[str, str]:
    """KRaft combined mode, one node, every internal topic with one replica."""
    return {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{advertised}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "true",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _loopback_only(container: Any) -> Any:
    """Publish the container's ports on 127.0.0.1 only (docker's default is every interface)."""
    container.ports = {port: ("127.0.0.1", host) for port, host in container.ports.items()}
    return container


@contextmanager
def kafka_container(timeout_s: float = 120.0) -> Iterator[str]:
    """Yield the bootstrap address of a fresh broker; remove the container after."""
    from testcontainers.core.container import DockerContainer

    port = _free_port()  # fixed before start: the broker must advertise the host port
    bootstrap = f"127.0.0.1:{port}"
    container = DockerContainer(kafka_image()).with_bind_ports(9092, port)
    for key, value in kafka_single_node_env(bootstrap).items():
        container = container.with_env(key, value)
    with _loopback_only(container):
        deadline = time.monotonic() + timeout_s
        while not kafka_answers(bootstrap, timeout_s=2.0):
            if time.monotonic() > deadline:
                raise StackError(f"{kafka_image()} did not answer on {bootstrap} "
                                 f"within {timeout_s:.0f} s")
            time.sleep(0.5)
        yield bootstrap


@contextmanager
def postgres_container() -> Iterator[str]:
    """Yield the SQLAlchemy URL (psycopg 3) of a fresh PostgreSQL; remove it after."""
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.10
        from testcontainers.postgres import PostgresContainer  # type: ignore[no-redef]

    container = PostgresContainer(PG_IMAGE, username=PG_USER, password=PG_PASSWORD,
                                  dbname=PG_DATABASE, driver="psycopg")
    with _loopback_only(container) as pg:
        yield pg.get_connection_url()
