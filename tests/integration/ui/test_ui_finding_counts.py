"""`ui_finding_counts` (kept by triggers, migration 0102_ui_perf) always equals the
findings counted the slow way: after the demo world, after the live writer raises
and resolves findings, after the dashboard syncs, acknowledges and closes them,
and what the pages show from it equals what they showed from the findings."""
from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from ui_test_helpers import csrf_of

from custodes.stack.pg_client import create_database, drop_database
from oversight_ui.queries import findings
from oversight_ui.queries.common import ViewFilters
from oversight_ui.scope import scope_for
from processors.core.findings import finding_id
from store.db import connect_raw, migrate
from store.projections.deltas import Deltas
from store.projections.writer import write_deltas

pytestmark = pytest.mark.integration

ROLES = ("dpa:DE", "dpa:FR", "dpa:AT", "dpa:IT", "edps", "us-privacy", "joint-review", "auditor")

_TRUTH = text("""
SELECT f.rule, f.severity, f.party, ui_finding_status(f.status, s.ui_status) AS status,
       s.parties, count(*) AS n
FROM findings f JOIN ui_finding_state s USING (finding_id) GROUP BY 1, 2, 3, 4, 5""")
_COUNTED = text("""
SELECT rule, severity, party, status, parties, sum(n)::bigint AS n FROM ui_finding_counts
GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0""")
# The dashboard's status, written out once more independently of ui_finding_status.
_STATUS_BY_HAND = text("""
SELECT count(*) FROM findings f JOIN ui_finding_state s USING (finding_id)
WHERE ui_finding_status(f.status, s.ui_status) IS DISTINCT FROM
      CASE WHEN f.status IN ('resolved', 'closed') THEN f.status
           WHEN s.ui_status IS NOT NULL THEN s.ui_status ELSE f.status END""")


def _rows(conn: Any, q: Any) -> dict[tuple[Any, ...], int]:
    return {(r.rule, r.severity, r.party, r.status, tuple(r.parties)): int(r.n)
            for r in conn.execute(q)}


def assert_exact(conn: Any) -> None:
    truth = _rows(conn, _TRUTH)
    assert _rows(conn, _COUNTED) == truth
    assert conn.execute(_STATUS_BY_HAND).scalar_one() == 0
    assert sum(truth.values()) == conn.execute(text("SELECT count(*) FROM ui_finding_state")).scalar_one()


def assert_pages_agree(db: Any) -> None:
    """Every count the pages take from the table equals the findings counted."""
    for role in ROLES:
        scope = scope_for(role)
        assert findings.counts(db, scope) == findings.counts_slowly(db, scope), role
        for flt in ({}, {"rule": "RET-1"}, {"status": "open"}, {"status": "closed"},
                    {"party": "US"}, {"severity": "critical"}):
            fast = findings.table(db, scope, ViewFilters(**flt), 50)
            slow = findings.table(db, scope, ViewFilters(**flt, since="2000-01-01"), 50)
            assert (fast.total, fast.rows) == (slow.total, slow.rows), (role, flt)


def _raise(cur: Any, key: str, rule: str = "RET-1", party: str = "DE") -> str:
    fid = finding_id(rule, key)
    d = Deltas(findings_raised=[{
        "finding_id": fid, "rule": rule, "severity": "violation", "party": party, "case_id": "C-" + key,
        "key": key, "evidence": [], "due": None, "observed_at": 1_774_166_400_000,
        "summary": f"test {rule} {key}", "platform_seq": None}])
    write_deltas(cur, d)
    return fid


def test_demo_world_counts_are_exact(conn, factory) -> None:
    with factory() as db:
        findings.sync_state(db)
        assert_exact(conn)
        assert_pages_agree(db)
    assert conn.execute(text("SELECT count(*) FROM ui_finding_counts")).scalar_one() > 0


def test_live_writer_raises_and_resolves_findings(conn, factory) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        new = [_raise(cur, f"tc-{i}", party=p) for i, p in enumerate(("DE", "FR", "US", "DE"))]
    assert_exact(conn)  # not synced yet: not counted, and not in ui_finding_state either
    with factory() as db:
        findings.sync_state(db)
        assert_exact(conn)
        assert_pages_agree(db)
    with raw.cursor() as cur:  # resolutions, one repeated (a no-op the second time)
        write_deltas(cur, Deltas(findings_resolved=[(new[0], 1_774_170_000_000, ["e1"]),
                                                    (new[2], 1_774_170_000_000, ["e2"])]))
        write_deltas(cur, Deltas(findings_resolved=[(new[0], 1_774_180_000_000, ["e3"])]))
        _raise(cur, "tc-0")  # raised again: ON CONFLICT DO NOTHING, counts unchanged
    assert_exact(conn)
    with factory() as db:
        assert_pages_agree(db)
        assert {"status": "resolved"} == {"status": findings.table(
            db, scope_for("auditor"), ViewFilters(rule="RET-1", status="resolved"), 50).rows[0]["status"]}


def test_acknowledge_and_close_through_the_app(conn, factory, user_client) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        a, b = _raise(cur, "tc-ack"), _raise(cur, "tc-close")
    client = user_client("dpa:DE")
    before = {r["rule"]: r["findings"] for r in client.get("/api/overview").json()["findings_by_rule"]}
    token = csrf_of(client)
    for fid, action in ((a, "acknowledge"), (b, "close")):
        resp = client.post(f"/api/findings/{fid}/{action}", json={"comment": "seen"},
                           headers={"X-CSRF-Token": token})
        assert resp.status_code == 200, resp.text
        assert_exact(conn)
    after = {r["rule"]: r["findings"] for r in client.get("/api/overview").json()["findings_by_rule"]}
    assert after["RET-1"] == before["RET-1"] - 1  # the closed one; acknowledged stays open
    with factory() as db:
        assert_pages_agree(db)
    # The store resolving an acknowledged finding and a direct state change are counted too.
    with raw.cursor() as cur:
        write_deltas(cur, Deltas(findings_resolved=[(a, 1_774_190_000_000, ["e4"])]))
    conn.execute(text("UPDATE ui_finding_state SET parties = ARRAY['AT','DE'] WHERE finding_id = :f"),
                 {"f": b})
    conn.execute(text("DELETE FROM ui_finding_state WHERE finding_id = :f"), {"f": a})
    assert_exact(conn)
    conn.execute(text("SELECT ui_fold_finding_counts()"))
    assert_exact(conn)
    keys = conn.execute(text("SELECT count(*), count(DISTINCT (rule, severity, party, status, parties)) "
                             "FROM ui_finding_counts")).one()
    assert keys[0] == keys[1]  # folded: one row per key, zero rows gone
    assert conn.execute(text("SELECT count(*) FROM ui_finding_counts WHERE n = 0")).scalar_one() == 0


@pytest.fixture
def committed_db(database_url: str) -> Any:
    """A database of its own (migrated, no demo world) for tests that must commit."""
    name = f"test_ui_counts_{uuid.uuid4().hex[:10]}"
    url = create_database(database_url, name)
    try:
        migrate(url)
        yield url
    finally:
        drop_database(database_url, name)


def test_sync_racing_a_resolution_counts_each_finding_once(committed_db) -> None:
    """The live writer resolves a finding while the dashboard syncs it: whichever
    commits first, the counts end exact (the state trigger waits for the resolution)."""
    with connect_raw(committed_db) as writer, writer.cursor() as cur:
        fids = [_raise(cur, f"race-{i}") for i in range(3)]
        writer.commit()
        write_deltas(cur, Deltas(findings_resolved=[(fids[1], 1_774_170_000_000, ["e"])]))  # not committed
        engine = create_engine(committed_db)
        done = threading.Event()

        def sync() -> None:
            from sqlalchemy.orm import Session
            with Session(engine) as db:
                db.execute(text("INSERT INTO ui_finding_state (finding_id, parties) "
                                "SELECT finding_id, ARRAY[party] FROM findings"))
                db.commit()
            done.set()

        t = threading.Thread(target=sync)
        t.start()
        assert not done.wait(0.5)  # waits for the resolution in flight
        writer.commit()
        t.join(10)
        assert done.is_set()
        with engine.connect() as c:
            assert_exact(c)
            assert _rows(c, _COUNTED)[("RET-1", "violation", "DE", "resolved", ("DE",))] == 1
        # The other way round: the dashboard changes the state first, the resolution
        # waits for it, then reads the committed state in its own trigger.
        resolved = threading.Event()

        def resolve() -> None:
            with writer.cursor() as wcur:
                write_deltas(wcur, Deltas(findings_resolved=[(fids[2], 1_774_170_000_000, ["e"])]))
            resolved.set()

        with engine.connect() as c:
            c.execute(text("UPDATE ui_finding_state SET ui_status = 'acknowledged' "
                           "WHERE finding_id = :f"), {"f": fids[2]})
            t = threading.Thread(target=resolve)
            t.start()
            assert not resolved.wait(0.5)  # the state trigger holds the finding
            c.commit()
        t.join(10)
        assert resolved.is_set()
        writer.commit()
        with engine.connect() as c:
            assert_exact(c)
            assert _rows(c, _COUNTED)[("RET-1", "violation", "DE", "resolved", ("DE",))] == 2
        engine.dispose()


def test_the_count_triggers_need_no_right_on_the_dashboards_tables(conn) -> None:
    """The live writer (custodes_app in production) raises findings: the triggers it
    fires write the dashboard's table with their owner's rights, on a fixed path."""
    rows = conn.execute(text(
        "SELECT proname, prosecdef, proconfig FROM pg_proc WHERE proname IN "
        "('ui_finding_counts_on_findings', 'ui_finding_counts_on_state', 'ui_fold_finding_counts')")).all()
    assert {r.proname for r in rows} == {"ui_finding_counts_on_findings", "ui_finding_counts_on_state",
                                        "ui_fold_finding_counts"}
    for r in rows:
        assert r.prosecdef, r.proname
        assert r.proconfig == ["search_path=public, pg_temp"], r.proname


COUNT_FUNCTIONS = ("ui_finding_counts_on_findings()", "ui_finding_counts_on_state()",
                   "ui_fold_finding_counts()", "ui_finding_counts_rebuild()")
_MAY = text("SELECT has_function_privilege(:role, :fn, 'EXECUTE')")


def _may_create_roles(conn: Any) -> bool:
    return bool(conn.execute(text("SELECT rolcreaterole OR rolsuper FROM pg_roles "
                                  "WHERE rolname = current_user")).scalar_one())


def test_only_the_owner_may_run_the_count_functions(conn) -> None:
    """The functions run as their owner: PUBLIC may not execute them (nor attach them to
    a table of its own to forge counts); custodes_app, when it exists, may fold and read
    the counts, not write them."""
    for fn in COUNT_FUNCTIONS:
        assert not conn.execute(_MAY, {"role": "public", "fn": fn}).scalar_one(), fn
        assert conn.execute(_MAY, {"role": conn.execute(text("SELECT current_user")).scalar_one(),
                                   "fn": fn}).scalar_one(), fn
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = 'custodes_app'")).first():
        assert conn.execute(_MAY, {"role": "custodes_app", "fn": "ui_fold_finding_counts()"}).scalar_one()
        for fn in COUNT_FUNCTIONS[:2]:
            assert not conn.execute(_MAY, {"role": "custodes_app", "fn": fn}).scalar_one(), fn
        for priv, allowed in (("SELECT", True), ("INSERT", False), ("DELETE", False), ("UPDATE", False)):
            assert conn.execute(text("SELECT has_table_privilege('custodes_app', 'ui_finding_counts', :p)"),
                                {"p": priv}).scalar_one() is allowed, priv


def test_a_role_without_rights_cannot_forge_counts_but_still_fires_the_triggers(conn) -> None:
    """With a throwaway role (when the test user may create one): attaching a count
    function to its own TEMP table or folding is refused; its INSERT into findings (the
    live writer's right) still updates the counts through the existing trigger."""
    if not _may_create_roles(conn):
        pytest.skip("the test user may not create roles (the ACL test above covers PUBLIC)")
    role = f"test_ui_nobody_{uuid.uuid4().hex[:8]}"
    conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))  # rolled back with the test's transaction
    conn.execute(text(f"GRANT SELECT, INSERT ON findings TO {role}"))
    key = "acl-writer"
    fid = finding_id("RET-1", key)
    conn.execute(text("INSERT INTO ui_finding_state (finding_id, parties) VALUES (:f, ARRAY['DE'])"),
                 {"f": fid})
    conn.execute(text(f"SET LOCAL ROLE {role}"))
    try:
        for sql in ("CREATE TEMP TABLE forged (LIKE findings)",):
            conn.execute(text(sql))
        for fn in COUNT_FUNCTIONS[:2]:
            with pytest.raises(Exception, match="permission denied"), conn.begin_nested():
                conn.execute(text("CREATE TRIGGER forge AFTER INSERT ON forged REFERENCING NEW TABLE AS "
                                  f"new_rows FOR EACH STATEMENT EXECUTE FUNCTION {fn}"))
        with pytest.raises(Exception, match="permission denied"), conn.begin_nested():
            conn.execute(text("SELECT ui_fold_finding_counts()"))
        with conn.connection.driver_connection.cursor() as cur:
            _raise(cur, key)
    finally:
        conn.execute(text("RESET ROLE"))
    assert_exact(conn)
    assert _rows(conn, _COUNTED)[("RET-1", "violation", "DE", "open", ("DE",))] >= 1


def _counts_match(conn: Any) -> None:
    assert _rows(conn, _COUNTED) == _rows(conn, _TRUTH)


@pytest.mark.parametrize("table", ["ui_finding_state", "findings"])
def test_truncate_counts_again(conn, factory, table: str) -> None:
    """TRUNCATE fires no row trigger: the statement trigger counts again from the rows,
    so the counts stay exact and the sync sees what is missing."""
    with factory() as db:
        findings.sync_state(db)
    assert conn.execute(text("SELECT count(*) FROM ui_finding_counts")).scalar_one() > 0
    conn.execute(text(f"TRUNCATE {table}"))
    # (state rows of truncated findings stay: the counts are of findings joined with them)
    exact = assert_exact if table == "ui_finding_state" else _counts_match
    exact(conn)
    with factory() as db:
        findings.sync_state(db)  # state truncated: every finding is synced again
        exact(conn)
        assert_pages_agree(db)
    assert (conn.execute(text("SELECT count(*) FROM findings")).scalar_one()
            == conn.execute(text("SELECT count(*) FROM ui_finding_state s "
                                 "JOIN findings USING (finding_id)")).scalar_one())
    if table == "findings":  # raised again after the rebuild: counted by the live trigger
        with conn.connection.driver_connection.cursor() as cur:
            _raise(cur, "after-truncate")
        with factory() as db:
            findings.sync_state(db)
            assert_pages_agree(db)
        _counts_match(conn)
        assert conn.execute(text("SELECT sum(n) FROM ui_finding_counts")).scalar_one() == 1


def test_deltas_are_folded_when_they_pile_up(conn, factory) -> None:
    """Actions and resolutions add delta rows but no findings: the sync folds them once
    more than FOLD_ABOVE_ROWS accumulated, and leaves a few alone (the cheap path)."""
    with factory() as db:
        findings.sync_state(db)
    conn.execute(text("SELECT ui_fold_finding_counts()"))
    keys = conn.execute(text("SELECT count(*) FROM ui_finding_counts")).scalar_one()
    pile = text("INSERT INTO ui_finding_counts (rule, severity, party, status, parties, n) "
                "SELECT rule, severity, party, status, parties, d FROM "
                "(SELECT * FROM ui_finding_counts ORDER BY id LIMIT 1) k, "
                "generate_series(1, :pairs) g, (VALUES (1), (-1)) v(d)")
    conn.execute(pile, {"pairs": 5})
    with factory() as db:
        findings.sync_state(db)
    assert conn.execute(text("SELECT count(*) FROM ui_finding_counts")).scalar_one() == keys + 10
    conn.execute(pile, {"pairs": findings.FOLD_ABOVE_ROWS // 2})
    with factory() as db:
        findings.sync_state(db)
    assert conn.execute(text("SELECT count(*) FROM ui_finding_counts")).scalar_one() == keys
    assert_exact(conn)
