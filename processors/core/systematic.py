"""SYS-1 SYS-2: no systematic or bulk querying.

SYS-1 (violation, key query_id): a query asks for more than one record or
gives no individual justification (empty or whitespace) — decided by the
query alone, fires on ingest.

SYS-2 (warning, key ``<party>/<officer_ref>/<YYYY-MM-DDTHH>``): an officer
submits more than `max_queries_per_officer_hour` queries (requesting party's
policy) within one UTC clock hour. Queries of an officer come from the
requesting node, in `seq` order, so counting on ingest is deterministic: the
finding fires on the query that crosses the limit, once per officer-hour, with
the queries counted so far as evidence. Counters are dropped once the hour is
over (all its events have arrived).
"""
from __future__ import annotations

from custodes.events import Event, QuerySubmitted
from custodes.timefmt import MS_PER_HOUR, hour_of
from processors.core.agenda import Agenda, Cut, Lanes
from processors.core.findings import Output, raised
from processors.core.policies import Policies
from processors.core.rule import Handler, Immediate

QUERY = "ebsp.query.submitted.v1"


class Bulk(Immediate):
    """SYS-1."""

    def handlers(self) -> dict[str, Handler]:
        return {QUERY: self.on_query}

    def on_query(self, event: Event, out: list[Output]) -> None:
        q: QuerySubmitted = event.data  # type: ignore[assignment]
        text = q.individual_justification
        if q.records_requested <= 1 and text and not text.isspace():
            return  # the common case, without building a list
        problems = []
        if q.records_requested > 1:
            problems.append(f"asks for {q.records_requested} records")
        if not text or text.isspace():  # `blank`, inline
            problems.append("has no individual justification")
        if not problems:
            return
        out.append(raised(
            rule="SYS-1", key=q.query_id, severity="violation", party=q.requesting_party,
            case_id=q.case_id, evidence=(event.id,), observed_ms=event.time_ms,
            summary=f"query {q.query_id} by {q.requesting_party} " + " and ".join(problems),
        ))


_FIRED: list[str] = []  # sentinel: the officer-hour has already raised its finding


class OfficerRate:
    """SYS-2: per (requesting party, officer, UTC hour) counters of query event ids."""

    def __init__(self, policies: Policies) -> None:
        self._policies = policies
        self._hours: dict[tuple[str, str, int], list[str]] = {}
        self._agenda = Agenda()  # hour ends that came out of time order
        self._lanes = Lanes()    # hour ends per requesting node (its queries are in time order)

    def handlers(self) -> dict[str, Handler]:
        return {QUERY: self.on_query}

    def on_query(self, event: Event, out: list[Output]) -> None:
        q: QuerySubmitted = event.data  # type: ignore[assignment]
        hour = event.time_ms - event.time_ms % MS_PER_HOUR
        slot = (q.requesting_party, q.officer_ref, hour)
        ids = self._hours.get(slot)
        if ids is None:
            ids = self._hours[slot] = []
            if not self._lanes.push(event.source, hour + MS_PER_HOUR - 1, slot):
                self._agenda.after_event(hour + MS_PER_HOUR - 1, slot)
        if ids is _FIRED:
            return
        ids.append(event.id)
        limit = self._policies[q.requesting_party].max_queries_per_officer_hour
        if len(ids) <= limit:
            return
        self._hours[slot] = _FIRED
        out.append(raised(
            rule="SYS-2", key=f"{q.requesting_party}/{q.officer_ref}/{hour_of(hour)}",
            severity="warning", party=q.requesting_party, case_id=None, evidence=ids,
            observed_ms=event.time_ms,
            summary=f"officer {q.officer_ref} of {q.requesting_party} submitted more than "
            f"{limit} queries in the hour {hour_of(hour)}Z",
        ))

    def advance(self, cut: Cut, out: list[Output]) -> None:
        hours = self._hours
        for _, slot in self._lanes.due(cut.events_before):
            hours.pop(slot, None)
        for _, slot in self._agenda.due(cut):
            hours.pop(slot, None)

    def open_hours(self) -> int:
        return len(self._hours)
