"""live projector: assessments read before their transfer wait in the database

A continuing-risk assessment moves the displayed retention deadline of its
transfer's clock. When the assessment is read before the transfer (another
partition), the move has to wait for the clock. The projector held, in memory,
the recipient of every open clock (to tell "clock there" from "not yet") and
the early moves; at 1 M open clocks that was ~90 MiB of what the database
already has. Now the writer asks the database: a move whose clock has not
arrived is stored here, and the batch that brings the transfer takes the moves
waiting for it (DELETE ... RETURNING) and applies them to the new clock's
deadline, in assessment-time order, as before.

Revision ID: 0103_live_perf
Revises: 0102_ui_perf
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0103_live_perf"
down_revision = "0102_ui_perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_early_moves",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("transfer_id", sa.Text(), nullable=False),
        sa.Column("party", sa.String(2), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_retention_early_moves_transfer", "retention_early_moves",
                    ["transfer_id"])
    op.execute("""
    DO $$
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custodes_app') THEN
            EXECUTE 'GRANT SELECT, INSERT, DELETE ON retention_early_moves TO custodes_app';
        END IF;
    END;
    $$
    """)


def downgrade() -> None:
    op.drop_index("ix_retention_early_moves_transfer", table_name="retention_early_moves")
    op.drop_table("retention_early_moves")
