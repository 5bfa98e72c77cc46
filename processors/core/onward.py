"""ONW-1 ONW-2: onward transfers to third countries need the originating party's consent.

ONW-1 (key request_id, party of the executed event; violation, critical when
the originating party refused): an `onward.executed` needs an `onward.decided`
`granted` for the same request_id with time <= the execution's, and the
request's `third_country` must equal the executed one. Only events with time
<= the execution count (they are the ones certain to have arrived when the
question is decided, SPEC §5): a request not known by then is treated as
missing, and the execution raises ONW-1, since no consent can be shown to
cover that country. Critical when a `refused` decision for the request exists
with time <= the execution.

ONW-2 (key request_id, party the originating party, warning): a request has
no decision (granted or refused) with time <= request time + `decision_days`
of the originating party's policy, once that deadline has passed. A later
decision resolves it.

Requests are kept (compactly) after ONW-2 is settled: an execution may still
come, and ONW-1 needs the request's country and the decisions.
"""
from __future__ import annotations

from custodes.events import Event, OnwardDecided, OnwardExecuted, OnwardRequested
from custodes.timefmt import MS_PER_DAY, format_ms
from processors.core.agenda import Agenda, Cut
from processors.core.findings import Output, raised, resolved
from processors.core.policies import Policies
from processors.core.rule import Handler

REQUESTED = "ebsp.onward.requested.v1"
DECIDED = "ebsp.onward.decided.v1"
EXECUTED = "ebsp.onward.executed.v1"

PENDING, SETTLED, RAISED = 0, 1, 2


class _Request:
    __slots__ = ("deadline", "decisions", "onw2", "request")

    def __init__(self) -> None:
        # (time_ms, originating_party, third_country, case_id, event_id)
        self.request: tuple[int, str, str, str, str] | None = None
        self.decisions: list[tuple[int, str, str]] = []  # (time_ms, decision, event_id)
        self.deadline: int | None = None
        self.onw2 = PENDING


class Onward:
    def __init__(self, policies: Policies) -> None:
        self._policies = policies
        self._requests: dict[str, _Request] = {}
        self._agenda = Agenda()

    def handlers(self) -> dict[str, Handler]:
        return {REQUESTED: self.on_requested, DECIDED: self.on_decided, EXECUTED: self.on_executed}

    def _req(self, request_id: str) -> _Request:
        r = self._requests.get(request_id)
        if r is None:
            r = self._requests[request_id] = _Request()
        return r

    def on_requested(self, event: Event, out: list[Output]) -> None:
        q: OnwardRequested = event.data  # type: ignore[assignment]
        r = self._req(q.request_id)
        if r.request is not None:
            return
        r.request = (event.time_ms, q.originating_party, q.third_country, q.case_id, event.id)
        days = self._policies[q.originating_party].onward_decision_days
        r.deadline = event.time_ms + days * MS_PER_DAY
        if any(t <= r.deadline for t, _, _ in r.decisions):
            r.onw2 = SETTLED
        else:
            self._agenda.at_deadline(r.deadline, ("ONW-2", q.request_id))

    def on_decided(self, event: Event, out: list[Output]) -> None:
        d: OnwardDecided = event.data  # type: ignore[assignment]
        r = self._req(d.request_id)
        r.decisions.append((event.time_ms, d.decision, event.id))
        if r.deadline is None or r.onw2 == SETTLED:
            return
        if r.onw2 == RAISED:
            out.append(resolved(rule="ONW-2", key=d.request_id, evidence=(event.id,),
                                observed_ms=event.time_ms))
            r.onw2 = SETTLED
        elif event.time_ms <= r.deadline:
            r.onw2 = SETTLED

    def on_executed(self, event: Event, out: list[Output]) -> None:
        x: OnwardExecuted = event.data  # type: ignore[assignment]
        self._agenda.after_event(
            event.time_ms, ("ONW-1", (x.request_id, x.party, x.third_country, x.case_id, event.id)))

    def advance(self, cut: Cut, out: list[Output]) -> None:
        for time_ms, (rule, what) in self._agenda.due(cut):
            if rule == "ONW-1":
                self._decide_execution(time_ms, what, out)
            else:
                self._decide_deadline(time_ms, what, out)

    def _decide_deadline(self, deadline: int, request_id: str, out: list[Output]) -> None:
        r = self._requests.get(request_id)
        if r is None or r.request is None or r.onw2 != PENDING:
            return
        _, originating, country, case_id, event_id = r.request
        out.append(raised(
            rule="ONW-2", key=request_id, severity="warning", party=originating,
            case_id=case_id, evidence=(event_id,), observed_ms=deadline, due_ms=deadline,
            summary=f"onward request {request_id} (to {country}) has no decision by "
            f"{originating} by {format_ms(deadline)}",
        ))
        late = sorted((t, eid) for t, _, eid in r.decisions)
        if late:
            out.append(resolved(rule="ONW-2", key=request_id, evidence=(late[0][1],),
                                observed_ms=late[0][0]))
            r.onw2 = SETTLED
        else:
            r.onw2 = RAISED

    def _decide_execution(self, time_ms: int, what: tuple[str, str, str, str, str],
                          out: list[Output]) -> None:
        request_id, party, country, case_id, event_id = what
        r = self._requests.get(request_id)
        request = r.request if r is not None and r.request is not None \
            and r.request[0] <= time_ms else None
        before = [d for d in r.decisions if d[0] <= time_ms] if r is not None else []
        granted = [eid for _, dec, eid in before if dec == "granted"]
        refused = [eid for _, dec, eid in before if dec == "refused"]
        problems = []
        if request is None:
            problems.append("no onward request for it was made before it")
        elif request[2] != country:
            problems.append(f"executed to {country} but the request was for {request[2]}")
        if not granted:
            problems.append("the originating party had not granted it"
                            + (" (it refused)" if refused else ""))
        if not problems:
            return
        evidence = [event_id, *granted, *refused]
        if request is not None:
            evidence.append(request[4])
        out.append(raised(
            rule="ONW-1", key=request_id, severity="critical" if refused else "violation",
            party=party, case_id=case_id, evidence=evidence, observed_ms=time_ms,
            summary=f"onward transfer {request_id} by {party} to {country}: " + "; ".join(problems),
        ))

    def open_requests(self) -> int:
        return len(self._requests)
