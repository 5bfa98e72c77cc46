"""application role: the dashboard's own tables (0100) granted to custodes_app

0001 grants the store's tables to `custodes_app` when that role exists (a
DBA's setup), and 0103/0104 grant what they add; 0100, which created the
dashboard's tables, granted nothing, so a dashboard connecting as a member of
`custodes_app` could not sign anyone in. The rights follow what the dashboard
does: users, sessions and the per-finding status are read and updated; the
sign-in attempts and the supervisors' finding actions are an audit trail,
only read and appended to (no UPDATE, DELETE or TRUNCATE).

Revision ID: 0105_app_grants
Revises: 0104_ui_counts_definer
"""
from __future__ import annotations

from alembic import op

revision = "0105_app_grants"
down_revision = "0104_ui_counts_definer"
branch_labels = None
depends_on = None

READ_WRITE = ("ui_users", "ui_sessions", "ui_finding_state")
APPEND_ONLY = ("ui_login_attempts", "ui_finding_actions")
SEQUENCES = ("ui_users_id_seq", "ui_login_attempts_id_seq", "ui_finding_actions_id_seq")


def _if_app_role(statements: list[str]) -> str:
    body = "\n".join(f"            EXECUTE '{s}';" for s in statements)
    return f"""
    DO $$
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custodes_app') THEN
{body}
        END IF;
    END;
    $$
    """


def upgrade() -> None:
    op.execute(_if_app_role(
        [f"GRANT SELECT, INSERT, UPDATE ON {t} TO custodes_app" for t in READ_WRITE]
        + [f"GRANT SELECT, INSERT ON {t} TO custodes_app" for t in APPEND_ONLY]
        + [f"GRANT USAGE, SELECT ON SEQUENCE {s} TO custodes_app" for s in SEQUENCES]))


def downgrade() -> None:
    op.execute(_if_app_role(
        [f"REVOKE ALL ON {t} FROM custodes_app" for t in READ_WRITE + APPEND_ONLY]
        + [f"REVOKE ALL ON SEQUENCE {s} FROM custodes_app" for s in SEQUENCES]))
