"""RMD-1: remedy requests are answered in time.

Deadline: request time + `deadline_days` of the `lodged_with` party's policy,
plus `extension_days` when a `remedy.extended` for the same remedy_id exists
with time <= that first deadline. Raised once the (possibly extended) deadline
has passed with no `remedy.resolved` of time <= it; a later `remedy.resolved`
resolves the finding. Key: remedy_id; party: lodged_with; case_id: the
request's (may be null); violation. A request is forgotten once settled.
"""
from __future__ import annotations

from custodes.events import Event, RemedyExtended, RemedyRequested, RemedyResolved
from custodes.timefmt import MS_PER_DAY, format_ms
from processors.core.agenda import Agenda, Cut
from processors.core.findings import Output, raised, resolved
from processors.core.policies import Policies
from processors.core.rule import Handler

REQUESTED = "ebsp.remedy.requested.v1"
EXTENDED = "ebsp.remedy.extended.v1"
RESOLVED = "ebsp.remedy.resolved.v1"


class _Remedy:
    __slots__ = ("extensions", "raised", "request", "resolutions")

    def __init__(self) -> None:
        # (time_ms, lodged_with, case_id, event_id, first deadline, extension ms)
        self.request: tuple[int, str, str | None, str, int, int] | None = None
        self.extensions: list[tuple[int, str]] = []
        self.resolutions: list[tuple[int, str]] = []
        self.raised = False


class Remedy:
    def __init__(self, policies: Policies) -> None:
        self._policies = policies
        self._remedies: dict[str, _Remedy] = {}
        self._agenda = Agenda()

    def handlers(self) -> dict[str, Handler]:
        return {REQUESTED: self.on_requested, EXTENDED: self.on_extended,
                RESOLVED: self.on_resolved}

    def _get(self, remedy_id: str) -> _Remedy:
        r = self._remedies.get(remedy_id)
        if r is None:
            r = self._remedies[remedy_id] = _Remedy()
        return r

    def on_requested(self, event: Event, out: list[Output]) -> None:
        q: RemedyRequested = event.data  # type: ignore[assignment]
        r = self._get(q.remedy_id)
        if r.request is not None:
            return
        view = self._policies[q.lodged_with]
        first = event.time_ms + view.remedy_deadline_days * MS_PER_DAY
        r.request = (event.time_ms, q.lodged_with, q.case_id, event.id, first,
                     view.remedy_extension_days * MS_PER_DAY)
        self._agenda.at_deadline(first, q.remedy_id)

    def on_extended(self, event: Event, out: list[Output]) -> None:
        x: RemedyExtended = event.data  # type: ignore[assignment]
        r = self._get(x.remedy_id)
        if not r.raised:
            r.extensions.append((event.time_ms, event.id))

    def on_resolved(self, event: Event, out: list[Output]) -> None:
        s: RemedyResolved = event.data  # type: ignore[assignment]
        r = self._get(s.remedy_id)
        if r.raised:
            out.append(resolved(rule="RMD-1", key=s.remedy_id, evidence=(event.id,),
                                observed_ms=event.time_ms))
            del self._remedies[s.remedy_id]
            return
        r.resolutions.append((event.time_ms, event.id))
        if r.request is not None and event.time_ms <= r.request[4]:
            del self._remedies[s.remedy_id]  # answered within the first deadline: settled

    def _deadline(self, r: _Remedy) -> tuple[int, list[str]]:
        assert r.request is not None
        first, extra = r.request[4], r.request[5]
        ext = [eid for t, eid in r.extensions if t <= first]
        return (first + extra if ext else first), ext

    def advance(self, cut: Cut, out: list[Output]) -> None:
        while True:
            due = self._agenda.due(cut)
            if not due:
                return
            for _, remedy_id in due:
                self._decide(remedy_id, cut, out)

    def _decide(self, remedy_id: str, cut: Cut, out: list[Output]) -> None:
        r = self._remedies.get(remedy_id)
        if r is None or r.request is None or r.raised:
            return
        deadline, ext = self._deadline(r)
        if not deadline < cut.deadlines_before:
            self._agenda.at_deadline(deadline, remedy_id)
            return
        if any(t <= deadline for t, _ in r.resolutions):
            del self._remedies[remedy_id]
            return
        _, lodged_with, case_id, event_id, _, _ = r.request
        out.append(raised(
            rule="RMD-1", key=remedy_id, severity="violation", party=lodged_with,
            case_id=case_id, evidence=[event_id, *ext], observed_ms=deadline, due_ms=deadline,
            summary=f"remedy request {remedy_id} lodged with {lodged_with} not resolved by "
            f"{format_ms(deadline)}" + (" (extended)" if ext else ""),
        ))
        if r.resolutions:
            t, eid = min(r.resolutions)
            out.append(resolved(rule="RMD-1", key=remedy_id, evidence=(eid,), observed_ms=t))
            del self._remedies[remedy_id]
            return
        r.raised = True
        r.extensions = []

    def open_remedies(self) -> int:
        return len(self._remedies)
