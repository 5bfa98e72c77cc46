"""The archive is the audit record: the database itself refuses to change or remove it."""
from __future__ import annotations

import psycopg
import pytest

from custodes.codec import decode
from store.archive import Coordinates, archive_row, copy_rows
from store.db import connect_raw, migrate

pytestmark = pytest.mark.integration

EVENT = (b'{"specversion":"1.0","id":"0b5f3a7e-1111-4222-8333-944455556666",'
         b'"source":"urn:ebsp:node:DE","type":"ebsp.node.checkpoint.v1",'
         b'"time":"2026-01-05T08:00:00.000Z","datacontenttype":"application/json","seq":1,'
         b'"prevhash":"' + b"0" * 64 + b'","data":{"head_seq":0,"head_hash":"' + b"0" * 64 +
         b'","key_id":"k1","signature":"AAAA"}}')


@pytest.fixture
def archived(fresh_database: str) -> str:
    migrate(fresh_database)
    event = decode(EVENT)
    with connect_raw(fresh_database) as conn, conn.cursor() as cur:
        copy_rows(cur, [archive_row(1, Coordinates("t", 0, 0), event)])  # type: ignore[arg-type]
    return fresh_database


@pytest.mark.parametrize("statement", [
    "UPDATE archive_events SET case_id = 'tampered'",
    "DELETE FROM archive_events",
    "TRUNCATE archive_events",
])
def test_the_database_refuses_to_rewrite_the_archive(archived: str, statement: str) -> None:
    with connect_raw(archived) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            cur.execute(statement)
        conn.rollback()
        cur.execute("SELECT count(*), min(case_id) FROM archive_events")
        assert cur.fetchone() == (1, None)


def test_appending_stays_possible_and_the_stored_bytes_are_the_canonical_event(archived: str
                                                                                ) -> None:
    import orjson

    from custodes.canonical import canonical_bytes

    with connect_raw(archived) as conn, conn.cursor() as cur:
        cur.execute("SELECT canonical, hash, parties FROM archive_events")
        canonical, digest, parties = cur.fetchone()  # type: ignore[misc]
    assert bytes(canonical) == canonical_bytes(orjson.loads(EVENT))
    assert digest == decode(EVENT).hash  # type: ignore[union-attr]
    assert parties == ["DE"]


def test_migrations_go_down_and_up_again_with_a_single_head(fresh_database: str) -> None:
    from alembic.script import ScriptDirectory

    from store.db import alembic_config

    cfg = alembic_config(fresh_database)
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
    migrate(fresh_database)
    migrate(fresh_database, "base")
    migrate(fresh_database)
