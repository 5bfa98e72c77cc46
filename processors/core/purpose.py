"""PUR-1: a query's purpose must be one the framework allows (requesting party's policy).

Decided by the query alone, so it fires on ingest. Key: query_id; party: the
requesting party; severity: violation.
"""
from __future__ import annotations

from custodes.events import Event, QuerySubmitted
from processors.core.findings import Output, raised
from processors.core.policies import Policies
from processors.core.rule import Handler, Immediate

QUERY = "ebsp.query.submitted.v1"


class Purpose(Immediate):
    def __init__(self, policies: Policies) -> None:
        self._policies = policies

    def handlers(self) -> dict[str, Handler]:
        return {QUERY: self.on_query}

    def on_query(self, event: Event, out: list[Output]) -> None:
        q: QuerySubmitted = event.data  # type: ignore[assignment]
        allowed = self._policies[q.requesting_party].purposes_allowed
        if q.purpose in allowed:
            return
        out.append(raised(
            rule="PUR-1", key=q.query_id, severity="violation", party=q.requesting_party,
            case_id=q.case_id, evidence=(event.id,), observed_ms=event.time_ms,
            summary=f"query {q.query_id} by {q.requesting_party} for purpose {q.purpose!r}, "
            f"not among the allowed purposes ({', '.join(sorted(allowed))})",
        ))
