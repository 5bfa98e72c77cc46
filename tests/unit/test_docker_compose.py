"""docker-compose.yml runs the same versions, ports and settings as `custodes stack up`."""
from __future__ import annotations

from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from custodes import settings
from custodes.stack.kafka_files import kafka_version
from custodes.stack.layout import (
    KAFKA_PORT,
    PG_DATABASE,
    PG_PASSWORD,
    PG_PORT,
    PG_USER,
    Layout,
    find_root,
    stack_env,
)

ROOT = find_root()
APP_SERVICES = {
    "processors": ["custodes", "process"],
    "simulators": ["custodes", "simulate", "--out", "kafka"],
    "ui": ["custodes", "ui", "--host", "0.0.0.0", "--port", "8000"],
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def test_it_has_the_infrastructure_and_every_custodes_process(services: dict[str, Any]) -> None:
    assert set(services) == {"kafka", "postgres", *APP_SERVICES}


def test_kafka_runs_the_broker_version_pinned_for_the_local_stack(
    services: dict[str, Any],
) -> None:
    assert services["kafka"]["image"] == f"apache/kafka:{kafka_version(Layout(ROOT))}"


def test_kafka_listens_for_containers_and_for_the_host(services: dict[str, Any]) -> None:
    env = services["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "CONTAINER://kafka:19094" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert f"HOST://127.0.0.1:{KAFKA_PORT}" in env["KAFKA_ADVERTISED_LISTENERS"]
    single_replica = [k for k in env if k.endswith(("REPLICATION_FACTOR", "MIN_ISR"))]
    assert len(single_replica) == 5 and all(env[k] == "1" for k in single_replica)
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"


def test_published_ports_are_the_local_stack_ports_on_loopback_only(
    services: dict[str, Any],
) -> None:
    assert services["kafka"]["ports"] == [f"127.0.0.1:{KAFKA_PORT}:{KAFKA_PORT}"]
    assert services["postgres"]["ports"] == [f"127.0.0.1:{PG_PORT}:5432"]
    assert services["ui"]["ports"] == ["127.0.0.1:8000:8000"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_infrastructure_has_health_checks_and_named_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in " ".join(
        services["kafka"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    for name in ("kafka", "postgres"):
        volume = services[name]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"], f"{name} data is not on a named volume"


def test_postgres_has_the_custodes_role_and_database(services: dict[str, Any]) -> None:
    env = services["postgres"]["environment"]
    assert services["postgres"]["image"] == "postgres:15"
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]) == (
        PG_USER, PG_PASSWORD, PG_DATABASE)


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_custodes_processes_get_the_settings_the_code_reads(
    services: dict[str, Any], name: str
) -> None:
    service = services[name]
    assert service["build"] == "."
    assert service["command"] == APP_SERVICES[name]
    env = service["environment"]
    assert set(stack_env()) <= set(env), "a process would fall back to the host's stack"
    assert set(env) <= set(settings.ENV_VARS), "a variable the settings do not read"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:19094"
    url = make_url(env["DATABASE_URL"])
    assert (url.drivername, url.host, url.port) == ("postgresql+psycopg", "postgres", 5432)
    assert (url.username, url.password, url.database) == (PG_USER, PG_PASSWORD, PG_DATABASE)
    assert service["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }


def test_the_image_is_python_3_11_slim_with_the_project_installed() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile.splitlines()
    assert "pip install ." in dockerfile
    for package in ("custodes", "producers", "processors", "store", "oversight_ui"):
        assert f"COPY {package} ./{package}" in dockerfile

