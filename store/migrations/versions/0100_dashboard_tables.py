"""dashboard: users, sessions, sign-in attempts, finding actions and state; read indexes

The oversight dashboard's own tables (store/ui_models.py) and the indexes its
pages need on the store's tables: archive events by id (the evidence
drill-down), findings by observation time (the register's order) and open
retention clocks by deadline (overdue and due-soon counts, the default list).

Revision ID: 0100_ui
Revises: 0001
Create Date: 2026-11-24 03:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0100_ui"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ui_users",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "ui_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=True),
        sa.Column("revoked", sa.Boolean(), server_default="false", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ui_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_ui_sessions_user_id", "ui_sessions", ["user_id"])
    op.create_table(
        "ui_login_attempts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ui_login_attempts_user_at", "ui_login_attempts", ["username", "at"])
    op.create_index("ix_ui_login_attempts_addr_at", "ui_login_attempts", ["client_addr", "at"])
    op.create_table(
        "ui_finding_actions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("finding_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ui_finding_actions_finding", "ui_finding_actions", ["finding_id", "at"])
    op.create_table(
        "ui_finding_state",
        sa.Column("finding_id", sa.String(length=32), nullable=False),
        sa.Column("parties", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("ui_status", sa.String(length=16), nullable=True),
        sa.Column("ui_status_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("finding_id"),
    )
    op.create_index("ix_ui_finding_state_parties", "ui_finding_state", ["parties"],
                    postgresql_using="gin")
    # Read paths of the dashboard on the store's tables.
    op.create_index("ix_archive_event_id", "archive_events", ["id"])
    op.create_index("ix_findings_observed_at", "findings", ["observed_at"])
    # Open clocks are few (most transfers are deleted in time): the overview's overdue
    # count, the per-recipient split and the default list read only this small index.
    op.create_index("ix_retention_open_deadline", "retention_clocks", ["deadline"],
                    postgresql_where=sa.text("status = 'open'"),
                    postgresql_include=["sender", "recipient"])


def downgrade() -> None:
    op.drop_index("ix_retention_open_deadline", table_name="retention_clocks")
    op.drop_index("ix_findings_observed_at", table_name="findings")
    op.drop_index("ix_archive_event_id", table_name="archive_events")
    op.drop_table("ui_finding_state")
    op.drop_table("ui_finding_actions")
    op.drop_table("ui_login_attempts")
    op.drop_table("ui_sessions")
    op.drop_table("ui_users")
