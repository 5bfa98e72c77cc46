"""RET-1: deletion by the recipient before the retention deadline; late deletion resolves."""
from __future__ import annotations

from custodes.timefmt import MS_PER_DAY, format_ms
from tests.spec.builders import World, at, audit, raised


def transfer(w: World, **kw: object):
    return w.exchange("US", "DE", at(), transfer_id="T-1", case_id="US-C-2", **kw)


def test_an_undeleted_transfer_is_overdue_once_the_deadline_has_passed() -> None:
    w = World()
    t = transfer(w)
    deadline = t.time_ms + 14 * MS_PER_DAY
    f = raised(w.events, deadline + 1)[("RET-1", "T-1")]
    assert (f.party, f.severity, f.case_id) == ("US", "violation", "US-C-2")
    assert f.due == f.observed_at == format_ms(deadline)
    assert f.evidence == [t.id]


def test_a_deadline_equal_to_the_horizon_has_not_passed() -> None:
    w = World()
    t = transfer(w)
    assert ("RET-1", "T-1") not in raised(w.events, t.time_ms + 14 * MS_PER_DAY)


def test_a_deletion_exactly_at_the_deadline_is_in_time() -> None:
    w = World()
    t = transfer(w)
    w.delete("US", "T-1", t.time_ms + 14 * MS_PER_DAY)
    assert raised(w.events, at(day=30)) == {}


def test_a_partial_deletion_or_one_by_another_party_does_not_count() -> None:
    w = World()
    t = transfer(w)
    w.delete("US", "T-1", at(day=1), scope="partial")
    w.delete("DE", "T-1", at(day=1))
    assert ("RET-1", "T-1") in raised(w.events, t.time_ms + 15 * MS_PER_DAY)


def test_special_categories_shorten_the_deadline() -> None:
    w = World()
    t = transfer(w, special=["health"], justification="medical alert")
    assert ("RET-1", "T-1") not in raised(w.events, t.time_ms + 7 * MS_PER_DAY)
    f = raised(w.events, t.time_ms + 7 * MS_PER_DAY + 1)[("RET-1", "T-1")]
    assert f.due == format_ms(t.time_ms + 7 * MS_PER_DAY)


def test_the_recipients_table_sets_the_deadline() -> None:
    policy = "[parties.US.retention]\ndefault_days = 3\n"
    w = World()
    t = transfer(w)
    back = w.exchange("DE", "US", at(minute=1), transfer_id="T-2")
    found = raised(w.events, at(day=4), policy=policy)
    assert found[("RET-1", "T-1")].due == format_ms(t.time_ms + 3 * MS_PER_DAY)
    assert ("RET-1", "T-2") not in found
    assert back.data.recipient == "DE"


def test_a_continuing_risk_assessment_moves_the_deadline_to_review_by() -> None:
    w = World()
    t = transfer(w)
    a = w.assess("US", "T-1", at(day=10), review_by=at(day=40))
    assert ("RET-1", "T-1") not in raised(w.events, at(day=40))
    f = raised(w.events, at(day=41))[("RET-1", "T-1")]
    assert f.due == format_ms(at(day=40))
    assert f.evidence == sorted([t.id, a.id])


def test_review_by_is_capped_at_max_review_days_and_null_means_the_cap() -> None:
    policy = "[retention]\nmax_review_days = 20\n"
    w = World()
    transfer(w)
    w.assess("US", "T-1", at(day=10), review_by=at(day=100))
    assert raised(w.events, at(day=31), policy=policy)[("RET-1", "T-1")].due == \
        format_ms(at(day=30))
    w2 = World()
    transfer(w2)
    w2.assess("US", "T-1", at(day=5), review_by=None)
    assert raised(w2.events, at(day=31), policy=policy)[("RET-1", "T-1")].due == \
        format_ms(at(day=25))


def test_assessments_after_the_deadline_or_without_risk_or_by_others_do_not_move_it() -> None:
    w = World()
    t = transfer(w)
    w.assess("US", "T-1", at(day=3), continuing_risk=False, review_by=at(day=60))
    w.assess("DE", "T-1", at(day=4), review_by=at(day=60))
    w.assess("US", "T-1", t.time_ms + 14 * MS_PER_DAY + 1, review_by=at(day=60))
    f = raised(w.events, at(day=20))[("RET-1", "T-1")]
    assert f.due == format_ms(t.time_ms + 14 * MS_PER_DAY)


def test_later_assessments_move_it_again_in_time_order() -> None:
    w = World()
    transfer(w)
    w.assess("US", "T-1", at(day=10), review_by=at(day=30))
    w.assess("US", "T-1", at(day=29), review_by=at(day=50))
    assert raised(w.events, at(day=51))[("RET-1", "T-1")].due == format_ms(at(day=50))


def test_a_late_deletion_resolves_the_finding() -> None:
    w = World()
    t = transfer(w)
    late = w.delete("US", "T-1", at(day=16))
    result = audit(w.events, at(day=20))
    assert [f.key for f in result.findings] == ["T-1"]
    (r,) = result.resolutions
    assert r.finding_id == result.findings[0].finding_id
    assert (r.rule, r.evidence, r.observed_at) == ("RET-1", [late.id], late.time)
    assert t.time_ms < late.time_ms


def test_deletions_for_an_unknown_transfer_raise_nothing() -> None:
    w = World()
    w.delete("US", "T-404", at())
    w.assess("US", "T-404", at(minute=1))
    assert raised(w.events, at(day=400)) == {}
