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
from processors.core.agenda import Cut
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
    """SYS-2: per UTC hour (its start), per (requesting party, officer), the query
    event ids so far: the first one alone as a `str` (most officer-hours have one
    query), then a list. A whole hour is dropped once the cut passes its end (every
    event of the hour has arrived); few hours are open at once, so `advance` looks
    at each. The engine runs the common cases of `on_query` inline
    (`engine._query_handler`)."""

    def __init__(self, policies: Policies) -> None:
        self._policies = policies
        self._hours: dict[int, dict[tuple[str, str], str | list[str]]] = {}

    def handlers(self) -> dict[str, Handler]:
        return {QUERY: self.on_query}

    def on_query(self, event: Event, out: list[Output]) -> None:
        q: QuerySubmitted = event.data  # type: ignore[assignment]
        hour = event.time_ms - event.time_ms % MS_PER_HOUR
        slots = self._hours.get(hour)
        if slots is None:
            slots = self._hours[hour] = {}
        slot = (q.requesting_party, q.officer_ref)
        ids = slots.get(slot)
        if ids is None:
            ids = [event.id]
        elif ids is _FIRED:
            return
        elif type(ids) is str:
            ids = [ids, event.id]
        else:
            ids.append(event.id)  # type: ignore[union-attr]
        slots[slot] = ids if len(ids) > 1 else ids[0]
        self.check(event, q, hour, slots, ids, out)  # type: ignore[arg-type]

    def check(self, event: Event, q: QuerySubmitted, hour: int,
              slots: dict[tuple[str, str], str | list[str]], ids: list[str],
              out: list[Output]) -> None:
        """Raise once the officer-hour's `ids` exceed the limit (its entry in `slots`)."""
        limit = self._policies[q.requesting_party].max_queries_per_officer_hour
        if len(ids) <= limit:
            return
        slots[(q.requesting_party, q.officer_ref)] = _FIRED
        out.append(raised(
            rule="SYS-2", key=f"{q.requesting_party}/{q.officer_ref}/{hour_of(hour)}",
            severity="warning", party=q.requesting_party, case_id=None, evidence=ids,
            observed_ms=event.time_ms,
            summary=f"officer {q.officer_ref} of {q.requesting_party} submitted more than "
            f"{limit} queries in the hour {hour_of(hour)}Z",
        ))

    def advance(self, cut: Cut, out: list[Output]) -> None:
        # an hour [h, h + 1 h) is over once every event with time <= its last
        # millisecond has arrived: h + MS_PER_HOUR - 1 < events_before
        hours = self._hours
        over = [h for h in hours if h + MS_PER_HOUR - 1 < cut.events_before]
        for h in over:
            del hours[h]

    def open_hours(self) -> int:
        return sum(len(slots) for slots in self._hours.values())
