"""RMD-1: remedy requests resolved within deadline_days (+ extension_days if extended in time)."""
from __future__ import annotations

from custodes.timefmt import MS_PER_DAY, format_ms
from tests.spec.builders import World, at, audit, raised


def test_an_unanswered_request_is_overdue_after_thirty_days() -> None:
    w = World()
    r = w.remedy_request("DE", "US", at(), remedy_id="RM-1", case_id=None)
    deadline = r.time_ms + 30 * MS_PER_DAY
    assert ("RMD-1", "RM-1") not in raised(w.events, deadline)
    f = raised(w.events, deadline + 1)[("RMD-1", "RM-1")]
    assert (f.party, f.severity, f.case_id) == ("DE", "violation", None)
    assert f.due == format_ms(deadline)


def test_a_resolution_at_the_deadline_is_in_time() -> None:
    w = World()
    r = w.remedy_request("DE", "US", at(), remedy_id="RM-1")
    w.remedy_resolve("DE", "RM-1", r.time_ms + 30 * MS_PER_DAY)
    assert raised(w.events, at(day=200)) == {}


def test_an_extension_before_the_first_deadline_adds_extension_days() -> None:
    w = World()
    r = w.remedy_request("DE", "US", at(), remedy_id="RM-1", case_id="DE-C-1")
    x = w.remedy_extend("DE", "RM-1", r.time_ms + 30 * MS_PER_DAY)  # exactly at: before
    w.remedy_resolve("DE", "RM-1", at(day=60))
    assert raised(w.events, at(day=100)) == {}
    w2 = World()
    r2 = w2.remedy_request("DE", "US", at(), remedy_id="RM-1", case_id="DE-C-1")
    x2 = w2.remedy_extend("DE", "RM-1", at(day=10))
    f = raised(w2.events, at(day=91))[("RMD-1", "RM-1")]
    assert f.due == format_ms(r2.time_ms + 90 * MS_PER_DAY)
    assert f.evidence == sorted([r2.id, x2.id]) and f.case_id == "DE-C-1"
    assert x.time_ms == r.time_ms + 30 * MS_PER_DAY


def test_an_extension_after_the_first_deadline_does_not_count() -> None:
    w = World()
    w.remedy_request("DE", "US", at(), remedy_id="RM-1")
    w.remedy_extend("DE", "RM-1", at(day=31))
    assert ("RMD-1", "RM-1") in raised(w.events, at(day=31))


def test_the_lodged_with_partys_table_applies_and_a_late_resolution_resolves() -> None:
    policy = "[parties.FR.remedy]\ndeadline_days = 10\n"
    w = World()
    w.remedy_request("FR", "US", at(), remedy_id="RM-1")
    late = w.remedy_resolve("FR", "RM-1", at(day=12))
    result = audit(w.events, at(day=20), policy=policy)
    assert [(f.rule, f.party, f.due) for f in result.findings] == \
        [("RMD-1", "FR", format_ms(at(day=10)))]
    assert [r.evidence for r in result.resolutions] == [[late.id]]
