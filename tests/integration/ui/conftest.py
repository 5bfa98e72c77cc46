"""Fixtures of the dashboard's integration tests.

One database per test session, migrated to head and filled once with the demo
world (oversight_ui.demo_data, run through the real live pipeline). Each test
then runs in a transaction that is rolled back at the end: the app's sessions
join it through savepoints, so users, sessions, access events and actions a
test creates never leak into the next test.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker
from ui_test_helpers import PASSWORD, sign_in

from oversight_ui.app import create_app
from oversight_ui.auth.users import add_user
from oversight_ui.settings import UISettings
from tests.ui_support import demo_world_database


@pytest.fixture(scope="session")
def ui_database(database_url: str) -> Iterator[str]:
    with demo_world_database(database_url, "test_ui") as url:
        yield url


@pytest.fixture(scope="session")
def ui_engine(ui_database: str) -> Iterator[Any]:
    engine = create_engine(ui_database)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(ui_engine: Any) -> Iterator[Connection]:
    connection = ui_engine.connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def factory(conn: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def settings() -> UISettings:
    # No result cache: tests write the store behind the app's back (test_ui_cache.py turns it on).
    return UISettings(refresh_s=1, live_max_messages=1, page_size=50, result_cache=0)


@pytest.fixture
def app(factory: sessionmaker[Session], settings: UISettings) -> Any:
    return create_app(settings, sessionmaker=factory)


@pytest.fixture
def user_client(app: Any, factory: sessionmaker[Session]) -> Callable[[str], TestClient]:
    """A signed-in client for a new user with the given role."""
    made: list[TestClient] = []

    def make(role: str) -> TestClient:
        name = "u-" + role.replace(":", "-").lower() + "-" + uuid.uuid4().hex[:6]
        with factory() as db:
            add_user(db, name, role, PASSWORD)
            db.commit()
        client = TestClient(app)
        client.__enter__()
        made.append(client)
        resp = sign_in(client, name)
        assert resp.status_code == 303, resp.text
        client.username = name  # type: ignore[attr-defined]
        return client

    yield make  # type: ignore[misc]
    for c in made:
        c.__exit__(None, None, None)
