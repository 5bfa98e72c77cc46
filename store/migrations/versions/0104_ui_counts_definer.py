"""dashboard finding counts: triggers run with the owner's rights, nobody else's

The triggers of 0102_ui_perf write `ui_finding_counts` and read
`ui_finding_state` (and lock findings FOR SHARE) whenever findings are raised
or resolved. In production the processors connect as `custodes_app`, which
0001 granted the store's tables only: the live writer's INSERT into
`findings` would fail on the dashboard's tables. The trigger functions and
the fold now run as their owner (SECURITY DEFINER, with a fixed search_path),
so a writer needs no right on the dashboard's tables.

Running as the owner makes the functions a privilege: EXECUTE is revoked from
PUBLIC on all of them. PostgreSQL checks EXECUTE on a trigger function only at
CREATE TRIGGER, so the triggers created here and in 0102 keep firing for every
writer, while no other role can attach the functions to a table of its own (a
TEMP table with matching transition tables would otherwise forge counts in
any scope, as the owner) or fold the counts. `custodes_app`, when it exists,
may read the counts (SELECT only: the triggers and the fold write them) and
run the fold.

TRUNCATE fires no row trigger: truncating `findings` or `ui_finding_state`
(an operator rebuilding a broken projection) would leave the counts wrong for
good, and the dashboard's up-to-date check (the counts sum to the number of
findings) would even hide it. An AFTER TRUNCATE statement trigger on both
tables clears the counts and counts them again from the rows (the backfill of
0102), under an EXCLUSIVE lock on the counts so that a fold in flight cannot
leave its sums beside the new ones. Every transaction that wrote count deltas
read or locked both tables, so the TRUNCATE's ACCESS EXCLUSIVE lock already
waited for it; later ones see the truncated table.

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
REBUILD = "ui_finding_counts_rebuild()"
TRUNCATE_TRIGGERS = (("findings", "findings_counts_truncate"),
                     ("ui_finding_state", "ui_finding_state_counts_truncate"))

# The backfill of 0102_ui_perf, after clearing the table; the lock keeps a fold in
# flight (DELETE + INSERT of its sums, not in this snapshot) from doubling the counts.
_REBUILD_FN = """
CREATE FUNCTION ui_finding_counts_rebuild() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  LOCK TABLE ui_finding_counts IN EXCLUSIVE MODE;
  DELETE FROM ui_finding_counts;
  INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n)
  SELECT f.rule, f.severity, f.party, ui_finding_status(f.status, s.ui_status), s.parties, count(*)
  FROM findings f JOIN ui_finding_state s USING (finding_id) GROUP BY 1, 2, 3, 4, 5;
  RETURN NULL;
END $$"""


def upgrade() -> None:
    for fn in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {fn} SECURITY DEFINER SET search_path = public, pg_temp")
    op.execute(_REBUILD_FN)
    for table, trigger in TRUNCATE_TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} AFTER TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {REBUILD}")
    for fn in (*FUNCTIONS, REBUILD):
        op.execute(f"REVOKE EXECUTE ON FUNCTION {fn} FROM PUBLIC")
    op.execute("""
    DO $$
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custodes_app') THEN
            EXECUTE 'REVOKE ALL ON ui_finding_counts FROM custodes_app';
            EXECUTE 'GRANT SELECT ON ui_finding_counts TO custodes_app';
            EXECUTE 'GRANT EXECUTE ON FUNCTION ui_fold_finding_counts() TO custodes_app';
        END IF;
    END;
    $$
    """)


def downgrade() -> None:
    for table, trigger in TRUNCATE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {REBUILD}")
    for fn in FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn} TO PUBLIC")
        op.execute(f"ALTER FUNCTION {fn} SECURITY INVOKER RESET search_path")
