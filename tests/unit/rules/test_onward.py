"""ONW-1 (consent before an onward transfer) and ONW-2 (a decision within decision_days)."""
from __future__ import annotations

from custodes.timefmt import MS_PER_DAY, format_ms
from tests.spec.builders import World, at, audit, raised

H = at(day=3)


def request(w: World, country: str = "CA"):
    w.exchange("US", "NL", at(), transfer_id="T-1")
    return w.onward_request("US", "NL", "T-1", country, at(day=1), request_id="R-1",
                            case_id="US-C-3")


def test_execution_after_a_grant_for_the_same_country_is_fine() -> None:
    w = World()
    request(w)
    w.onward_decide("NL", "R-1", "granted", at(day=1, hour=1))
    w.onward_execute("US", "R-1", "T-1", "CA", at(day=1, hour=1))  # same ms: before
    assert raised(w.events, H) == {}


def test_execution_before_any_decision_is_a_violation_of_the_executing_party() -> None:
    w = World()
    r = request(w)
    x = w.onward_execute("US", "R-1", "T-1", "CA", at(day=1, hour=2), case_id="US-C-3")
    w.onward_decide("NL", "R-1", "granted", at(day=1, hour=3))  # too late
    f = raised(w.events, H)[("ONW-1", "R-1")]
    assert (f.party, f.severity, f.case_id) == ("US", "violation", "US-C-3")
    assert f.evidence == sorted([x.id, r.id])


def test_execution_after_a_refusal_is_critical() -> None:
    w = World()
    request(w)
    no = w.onward_decide("NL", "R-1", "refused", at(day=1, hour=1))
    w.onward_execute("US", "R-1", "T-1", "CA", at(day=1, hour=2))
    f = raised(w.events, H)[("ONW-1", "R-1")]
    assert f.severity == "critical" and no.id in f.evidence


def test_execution_to_another_country_than_requested_is_a_violation() -> None:
    w = World()
    request(w, country="CA")
    w.onward_decide("NL", "R-1", "granted", at(day=1, hour=1))
    w.onward_execute("US", "R-1", "T-1", "MX", at(day=1, hour=2))
    f = raised(w.events, H)[("ONW-1", "R-1")]
    assert "MX" in f.summary and f.severity == "violation"


def test_execution_of_an_unknown_request_raises_onw1() -> None:
    w = World()
    w.onward_decide("NL", "R-9", "granted", at())
    w.onward_execute("US", "R-9", "T-1", "CA", at(hour=1))
    assert ("ONW-1", "R-9") in raised(w.events, H)


def test_a_request_without_a_decision_is_overdue_after_decision_days() -> None:
    w = World()
    r = request(w)
    deadline = r.time_ms + 30 * MS_PER_DAY
    assert ("ONW-2", "R-1") not in raised(w.events, deadline)
    f = raised(w.events, deadline + 1)[("ONW-2", "R-1")]
    assert (f.party, f.severity, f.case_id) == ("NL", "warning", "US-C-3")
    assert f.due == f.observed_at == format_ms(deadline)


def test_a_decision_exactly_at_the_deadline_is_in_time() -> None:
    w = World()
    r = request(w)
    w.onward_decide("NL", "R-1", "refused", r.time_ms + 30 * MS_PER_DAY)
    assert ("ONW-2", "R-1") not in raised(w.events, at(day=90))


def test_a_late_decision_resolves_onw2() -> None:
    w = World()
    request(w)
    late = w.onward_decide("NL", "R-1", "granted", at(day=40))
    result = audit(w.events, at(day=50))
    onw = [f for f in result.findings if f.rule.startswith("ONW")]
    assert [(f.rule, f.key) for f in onw] == [("ONW-2", "R-1")]
    assert [(r.rule, r.evidence) for r in result.resolutions
            if r.rule == "ONW-2"] == [("ONW-2", [late.id])]


def test_decision_days_come_from_the_originating_partys_table() -> None:
    policy = "[parties.NL.onward]\ndecision_days = 5\n"
    w = World()
    r = request(w)
    f = raised(w.events, at(day=7), policy=policy)[("ONW-2", "R-1")]
    assert f.due == format_ms(r.time_ms + 5 * MS_PER_DAY)
