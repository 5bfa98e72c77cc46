"""dashboard read paths at 10 M events: findings counted by triggers, index for the live check

The dashboard's overview (open findings by rule and severity), the findings
register's total and joint review's findings table counted every finding on
every request (a join of `findings` and `ui_finding_state`, grouped). They now
read `ui_finding_counts`: per (rule, severity, responsible party, displayed
status, involved parties) the number of findings the dashboard knows (those
with a `ui_finding_state` row). The table is kept exact by statement-level
triggers with transition tables on both tables, whoever writes them (the live
writer raises and resolves findings, the dashboard syncs parties and records
acknowledgements and closures):

* the triggers only INSERT signed deltas (+n / -n), never update a counter
  row, so concurrent writers never wait for each other on the counts nor
  deadlock; readers sum per key, and the dashboard folds the deltas into one
  row per key from time to time (`ui_fold_finding_counts()`);
* a trigger on `ui_finding_state` reads the findings it concerns after taking
  a FOR SHARE lock on them, so a concurrent resolution by the live writer is
  either fully before (seen) or fully after (its own trigger sees the state
  row): a finding is never counted twice or lost;
* the displayed status is `ui_finding_status(findings.status, ui_status)`:
  resolved or closed by the store wins, else the supervisors' status, else the
  store's (the dashboard's STATUS expression, in SQL).

The upgrade backfills the counts from the existing rows (a deployment that
already has findings, or the 10 M benchmark database).

The partial index of open retention clocks by deadline also carries the
transfer id (INCLUDE), so the overdue count and the per-recipient split — open
clocks joined with open RET-1 findings by transfer id — are index-only scans
of the open clocks instead of a heap fetch per clock (at 10 M events: 123,000
open clocks, 17,000 pages read).

Also: a partial index on the platform chain's non-access events, so "the
newest event that is not an access record" (the live-change check of every
open page, the overview cache key) is one index probe instead of a backward
scan over every access since the last finding.

Revision ID: 0102_ui_perf
Revises: 0101_ret_overdue
Create Date: 2026-11-24 05:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0102_ui_perf"
down_revision = "0101_ret_overdue"
branch_labels = None
depends_on = None

ACCESSED = "ebsp.oversight.accessed.v1"

_STATUS_FN = """
CREATE FUNCTION ui_finding_status(store_status text, ui_status text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN store_status IN ('resolved', 'closed') THEN store_status
              WHEN ui_status IS NOT NULL THEN ui_status
              ELSE store_status END
$$"""

# One function per table; TG_OP selects the transition tables the trigger declared.
_ON_FINDINGS = """
CREATE FUNCTION ui_finding_counts_on_findings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
    SELECT n.rule, n.severity, n.party, ui_finding_status(n.status, s.ui_status), s.parties, count(*)
    FROM new_rows n JOIN ui_finding_state s USING (finding_id) GROUP BY 1, 2, 3, 4, 5;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
    SELECT rule, severity, party, status, parties, sum(d) FROM (
      SELECT o.rule, o.severity, o.party, ui_finding_status(o.status, s.ui_status) AS status,
             s.parties, -1 AS d
      FROM old_rows o JOIN ui_finding_state s USING (finding_id)
      UNION ALL
      SELECT n.rule, n.severity, n.party, ui_finding_status(n.status, s.ui_status), s.parties, 1
      FROM new_rows n JOIN ui_finding_state s USING (finding_id)) x
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0;
  ELSE
    INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
    SELECT o.rule, o.severity, o.party, ui_finding_status(o.status, s.ui_status), s.parties, -count(*)
    FROM old_rows o JOIN ui_finding_state s USING (finding_id) GROUP BY 1, 2, 3, 4, 5;
  END IF;
  RETURN NULL;
END $$"""

_ON_STATE = """
CREATE FUNCTION ui_finding_counts_on_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Hold the findings still (a resolution in flight finishes first), then read them
  -- with this statement's fresh snapshot.
  IF TG_OP = 'DELETE' THEN
    PERFORM 1 FROM findings f WHERE f.finding_id IN (SELECT finding_id FROM old_rows)
    ORDER BY f.finding_id FOR SHARE OF f;
  ELSE
    PERFORM 1 FROM findings f WHERE f.finding_id IN (SELECT finding_id FROM new_rows)
    ORDER BY f.finding_id FOR SHARE OF f;
  END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
    SELECT f.rule, f.severity, f.party, ui_finding_status(f.status, n.ui_status), n.parties, count(*)
    FROM new_rows n JOIN findings f USING (finding_id) GROUP BY 1, 2, 3, 4, 5;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
    SELECT rule, severity, party, status, parties, sum(d) FROM (
      SELECT f.rule, f.severity, f.party, ui_finding_status(f.status, o.ui_status) AS status,
             o.parties, -1 AS d
      FROM old_rows o JOIN findings f USING (finding_id)
      UNION ALL
      SELECT f.rule, f.severity, f.party, ui_finding_status(f.status, n.ui_status), n.parties, 1
      FROM new_rows n JOIN findings f USING (finding_id)) x
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0;
  ELSE
    INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
    SELECT f.rule, f.severity, f.party, ui_finding_status(f.status, o.ui_status), o.parties, -count(*)
    FROM old_rows o JOIN findings f USING (finding_id) GROUP BY 1, 2, 3, 4, 5;
  END IF;
  RETURN NULL;
END $$"""

# Fold the deltas into one row per key; rows inserted meanwhile by other transactions
# are not in this statement's snapshot and stay as they are.
_FOLD_FN = """
CREATE FUNCTION ui_fold_finding_counts() RETURNS void LANGUAGE sql AS $$
  WITH gone AS (DELETE FROM ui_finding_counts RETURNING rule, severity, party, status, parties, n)
  INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
  SELECT rule, severity, party, status, parties, sum(n) FROM gone
  GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0
$$"""

_BACKFILL = """
INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
SELECT f.rule, f.severity, f.party, ui_finding_status(f.status, s.ui_status), s.parties, count(*)
FROM findings f JOIN ui_finding_state s USING (finding_id) GROUP BY 1, 2, 3, 4, 5"""


def _triggers(table: str, function: str) -> list[str]:
    out = []
    for event, refs in (("INSERT", "NEW TABLE AS new_rows"),
                        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                        ("DELETE", "OLD TABLE AS old_rows")):
        out.append(f"CREATE TRIGGER {table}_counts_{event.lower()} AFTER {event} ON {table} "
                   f"REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    return out


def upgrade() -> None:
    op.create_table(
        "ui_finding_counts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parties", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Serialise the backfill with the writers: nothing changes findings or their
    # state between the count and the triggers' creation.
    op.execute("LOCK TABLE findings, ui_finding_state IN SHARE ROW EXCLUSIVE MODE")
    op.execute(_STATUS_FN)
    op.execute(_ON_FINDINGS)
    op.execute(_ON_STATE)
    op.execute(_FOLD_FN)
    for sql in _triggers("findings", "ui_finding_counts_on_findings"):
        op.execute(sql)
    for sql in _triggers("ui_finding_state", "ui_finding_counts_on_state"):
        op.execute(sql)
    op.execute(_BACKFILL)
    op.create_index("ix_platform_events_not_access", "platform_events", ["seq"],
                    postgresql_where=sa.text(f"type <> '{ACCESSED}'"))
    _open_clocks_index(["sender", "recipient", "transfer_id"])


def _open_clocks_index(include: list[str]) -> None:
    op.drop_index("ix_retention_open_deadline", table_name="retention_clocks")
    op.create_index("ix_retention_open_deadline", "retention_clocks", ["deadline"],
                    postgresql_where=sa.text("status = 'open'"), postgresql_include=include)


def downgrade() -> None:
    _open_clocks_index(["sender", "recipient"])
    op.drop_index("ix_platform_events_not_access", table_name="platform_events")
    for table in ("findings", "ui_finding_state"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_counts_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS ui_fold_finding_counts()")
    op.execute("DROP FUNCTION IF EXISTS ui_finding_counts_on_state()")
    op.execute("DROP FUNCTION IF EXISTS ui_finding_counts_on_findings()")
    op.drop_table("ui_finding_counts")
    op.execute("DROP FUNCTION IF EXISTS ui_finding_status(text, text)")
