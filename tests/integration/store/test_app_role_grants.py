"""The application role a DBA creates (`custodes_app`) gets what each table needs, no more.

`custodes stack up` creates the role in the development cluster, as a DBA
would, so these checks run in CI; on a cluster without it they skip.
"""
from __future__ import annotations

import os

import pytest

from store.db import connect_raw, migrate

pytestmark = pytest.mark.integration

ROLE = "custodes_app"
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
EXPECTED = {
    # the store (0001): the archive append-only, projections read and written
    "archive_events": {"SELECT", "INSERT"},
    "platform_events": {"SELECT", "INSERT"},
    "findings": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "consumer_positions": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "retention_early_moves": {"SELECT", "INSERT", "DELETE"},           # 0103
    "ui_finding_counts": {"SELECT"},                                   # 0104
    # the dashboard (0100, granted by 0105)
    "ui_users": {"SELECT", "INSERT", "UPDATE"},
    "ui_sessions": {"SELECT", "INSERT", "UPDATE"},
    "ui_finding_state": {"SELECT", "INSERT", "UPDATE"},
    "ui_login_attempts": {"SELECT", "INSERT"},
    "ui_finding_actions": {"SELECT", "INSERT"},
}


@pytest.fixture
def migrated(fresh_database: str) -> str:
    migrate(fresh_database)
    return fresh_database


def _role_exists(cur) -> bool:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,))
    return cur.fetchone() is not None


def test_each_table_grants_the_application_role_what_it_needs(migrated: str) -> None:
    with connect_raw(migrated) as conn, conn.cursor() as cur:
        if not _role_exists(cur):
            if os.environ.get("CI") == "true":
                pytest.fail(f"`custodes stack up` should have created the role {ROLE}")
            pytest.skip(f"no role {ROLE} in this cluster (a DBA's setup)")
        for table, allowed in EXPECTED.items():
            granted = set()
            for privilege in PRIVILEGES:
                cur.execute("SELECT has_table_privilege(%s, %s, %s)", (ROLE, table, privilege))
                if cur.fetchone()[0]:
                    granted.add(privilege)
            assert granted == allowed, table


def test_the_dashboards_sequences_are_usable_by_the_application_role(migrated: str) -> None:
    with connect_raw(migrated) as conn, conn.cursor() as cur:
        if not _role_exists(cur):
            pytest.skip(f"no role {ROLE} in this cluster")
        for seq in ("ui_users_id_seq", "ui_login_attempts_id_seq", "ui_finding_actions_id_seq"):
            cur.execute("SELECT has_sequence_privilege(%s, %s, 'USAGE')", (ROLE, seq))
            assert cur.fetchone()[0], seq
