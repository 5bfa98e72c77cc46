"""dashboard finding counts: triggers run with the owner's rights

The triggers of 0102_ui_perf write `ui_finding_counts` and read
`ui_finding_state` (and lock findings FOR SHARE) whenever findings are raised
or resolved. In production the processors connect as `custodes_app`, which
0001 granted the store's tables only: the live writer's INSERT into
`findings` would fail on the dashboard's tables. The trigger functions and
the fold now run as their owner (SECURITY DEFINER, with a fixed search_path),
so a writer needs no right on the dashboard's tables; `custodes_app`, when it
exists, may read and fold the counts like the other tables.

Revision ID: 0104_ui_counts_definer
Revises: 0103_live_perf
Create Date: 2026-11-24 05:50:00
"""
from __future__ import annotations

from alembic import op

revision = "0104_ui_counts_definer"
down_revision = "0103_live_perf"
branch_labels = None
depends_on = None

FUNCTIONS = ("ui_finding_counts_on_findings()", "ui_finding_counts_on_state()",
             "ui_fold_finding_counts()")


def upgrade() -> None:
    for fn in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {fn} SECURITY DEFINER SET search_path = public, pg_temp")
    op.execute("""
    DO $$
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custodes_app') THEN
            EXECUTE 'GRANT SELECT, INSERT, DELETE ON ui_finding_counts TO custodes_app';
        END IF;
    END;
    $$
    """)


def downgrade() -> None:
    for fn in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {fn} SECURITY INVOKER RESET search_path")
