"""Shared by the dashboard's integration and browser tests (not a conftest: those
names collide across test trees)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from custodes.stack.pg_client import create_database, drop_database


@contextmanager
def demo_world_database(database_url: str, prefix: str) -> Iterator[str]:
    """URL of a new database migrated to head and filled with the demo world
    (oversight_ui.demo_data, run through the real live pipeline); dropped afterwards."""
    from oversight_ui import demo_data
    from store.db import migrate

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create_database(database_url, name)
    try:
        migrate(url)
        demo_data.load(url)
        yield url
    finally:
        drop_database(database_url, name)
