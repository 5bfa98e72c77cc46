"""retention clocks: overdue means an open RET-1 finding, not a displayed deadline

The view `retention_clocks_status` called an open clock overdue when its
displayed deadline was before the watermark. The displayed deadline is a
projection (for display); the verdict is the rule core's RET-1 finding. The
two disagreed whenever the projection missed a deadline move, so a clock
showed overdue where RET-1 raised nothing. Now `overdue` is: an open RET-1
finding (rule 'RET-1', key = the transfer id, not resolved) exists for the
clock. `due_soon` stays a display hint against the watermark (displayed
deadline within two days). Column names are unchanged. A partial index finds
open RET-1 findings by transfer id.

Revision ID: 0101_ret_overdue
Revises: 0100_ui
Create Date: 2026-11-25 10:00:00
"""
from __future__ import annotations

from alembic import op

revision = "0101_ret_overdue"
down_revision = "0100_ui"
branch_labels = None
depends_on = None

_BY_FINDING = """
CREATE OR REPLACE VIEW retention_clocks_status AS
SELECT c.*, CASE
         WHEN c.status <> 'open' THEN c.status
         WHEN EXISTS (SELECT 1 FROM findings f
                      WHERE f.rule = 'RET-1' AND f.key = c.transfer_id
                        AND f.resolved_at IS NULL) THEN 'overdue'
         WHEN w.watermark IS NOT NULL AND c.deadline < w.watermark + interval '2 days'
              THEN 'due_soon'
         ELSE 'open' END AS clock_status
FROM retention_clocks c
LEFT JOIN LATERAL (SELECT max(watermark) AS watermark FROM processor_state) w ON true
"""
_BY_WATERMARK = """
CREATE OR REPLACE VIEW retention_clocks_status AS
SELECT c.*, CASE
         WHEN c.status <> 'open' THEN c.status
         WHEN w.watermark IS NOT NULL AND c.deadline < w.watermark THEN 'overdue'
         WHEN w.watermark IS NOT NULL AND c.deadline < w.watermark + interval '2 days'
              THEN 'due_soon'
         ELSE 'open' END AS clock_status
FROM retention_clocks c
LEFT JOIN LATERAL (SELECT max(watermark) AS watermark FROM processor_state) w ON true
"""


def upgrade() -> None:
    op.create_index("ix_findings_ret1_open_key", "findings", ["key"],
                    postgresql_where="rule = 'RET-1' AND resolved_at IS NULL")
    op.execute(_BY_FINDING)


def downgrade() -> None:
    op.execute(_BY_WATERMARK)
    op.drop_index("ix_findings_ret1_open_key", table_name="findings")
