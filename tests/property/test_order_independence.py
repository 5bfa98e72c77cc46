"""Findings are a function of the event set and the horizon alone (SPEC §5).

Hypothesis builds small but realistic records on NodeChain (exchanges with
and without hits, deletions in time and late, assessments, onward requests,
decisions, remedies, bulk queries), then checks that shuffling the input,
duplicating events, or feeding it live in node order with the watermark
advancing in between, never changes the findings.
"""
from __future__ import annotations

from collections.abc import Iterable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodes.events import Event, FindingRaised
from custodes.policy import load_policy
from processors.core.engine import Engine
from tests.spec.builders import World, at, audit

NODES = ("US", "DE", "FR", "NL")
STEP = 3_600_000  # one hour per scenario step


@st.composite
def records(draw: st.DrawFn) -> tuple[list[Event], int]:
    w = World()
    n = draw(st.integers(3, 14))
    transfers: list[tuple[str, str, str]] = []
    requests: list[tuple[str, str, str]] = []
    remedies: list[tuple[str, str]] = []
    for i in range(n):
        t = at() + i * STEP * 24 + draw(st.integers(0, STEP))
        kind = draw(st.sampled_from(
            ["exchange", "exchange", "nohit", "delete", "assess", "onward", "decide",
             "execute", "remedy", "resolve", "query"]))
        a, b = draw(st.sampled_from([(x, y) for x in NODES for y in NODES if x != y]))
        if kind in ("exchange", "nohit"):
            q = w.query(a, b, t)
            qid = q.data.query_id  # type: ignore[union-attr]
            w.answer(b, qid, t + 1000, result="hit" if kind == "exchange" else "no_hit")
            tr = w.transfer(b, a, qid, t + draw(st.sampled_from([1000, 5000])),
                            special=draw(st.sampled_from([[], ["health"]])))
            transfers.append((tr.data.transfer_id, b, a))  # type: ignore[union-attr]
        elif kind == "delete" and transfers:
            tid, _, recipient = draw(st.sampled_from(transfers))
            w.delete(recipient, tid, t, scope=draw(st.sampled_from(["full", "partial"])))
        elif kind == "assess" and transfers:
            tid, _, recipient = draw(st.sampled_from(transfers))
            w.assess(recipient, tid, t, continuing_risk=draw(st.booleans()),
                     review_by=draw(st.sampled_from([None, t + 20 * 24 * STEP])))
        elif kind == "onward" and transfers:
            tid, origin, holder = draw(st.sampled_from(transfers))
            r = w.onward_request(holder, origin, tid, "CA", t)
            requests.append((r.data.request_id, origin, holder))  # type: ignore[union-attr]
        elif kind == "decide" and requests:
            rid, origin, _ = draw(st.sampled_from(requests))
            w.onward_decide(origin, rid, draw(st.sampled_from(["granted", "refused"])), t)
        elif kind == "execute" and requests:
            rid, _, holder = draw(st.sampled_from(requests))
            w.onward_execute(holder, rid, "T-x", draw(st.sampled_from(["CA", "MX"])), t)
        elif kind == "remedy":
            r = w.remedy_request(a, b, t)
            remedies.append((r.data.remedy_id, a))  # type: ignore[union-attr]
        elif kind == "resolve" and remedies:
            rid, lodged = draw(st.sampled_from(remedies))
            if draw(st.booleans()):
                w.remedy_extend(lodged, rid, t)
            else:
                w.remedy_resolve(lodged, rid, t)
        else:
            w.query(a, b, t, purpose=draw(st.sampled_from(["border_screening", "intelligence"])))
        if draw(st.booleans()):
            w.checkpoint(a, t + 2 * STEP)
    end = at() + (n + draw(st.integers(1, 60))) * STEP * 24
    w.close(end)
    return w.events, end


def key(findings: Iterable[FindingRaised]) -> list[tuple[str, ...]]:
    return sorted((f.finding_id, f.rule, f.key, f.party, f.severity, str(f.case_id),
                   ",".join(f.evidence), str(f.due), f.observed_at) for f in findings)


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(records(), st.randoms(use_true_random=False))
def test_shuffling_and_duplicating_the_input_changes_nothing(
        rec: tuple[list[Event], int], rnd) -> None:  # type: ignore[no-untyped-def]
    events, horizon = rec
    reference = key(audit(events, horizon).findings)
    noisy = events + rnd.sample(events, k=min(5, len(events)))
    rnd.shuffle(noisy)
    assert key(audit(noisy, horizon).findings) == reference


@FAST
@given(records(), st.randoms(use_true_random=False), st.integers(1, 6))
def test_live_arrival_in_node_order_with_a_moving_watermark_gives_the_replay_findings(
        rec: tuple[list[Event], int], rnd, parts: int) -> None:  # type: ignore[no-untyped-def]
    events, horizon = rec
    reference = key(audit(events, horizon).findings)
    queues: dict[str, list[Event]] = {}
    for e in events:
        queues.setdefault(e.source, []).append(e)
    engine = Engine(load_policy(None))
    out = []
    sources = list(queues)
    latest: dict[str, int] = {}
    delivered = 0
    every = max(1, len(events) // parts)
    while sources:
        s = rnd.choice(sources)
        e = queues[s].pop(0)
        if not queues[s]:
            sources.remove(s)
        out += engine.ingest(e)
        if rnd.random() < 0.1:
            out += engine.ingest(e)  # a redelivery
        if e.type == "ebsp.node.checkpoint.v1":
            latest[s] = e.time_ms
        delivered += 1
        if delivered % every == 0 and len(latest) == len(queues):
            out += engine.advance(min(latest.values()))
    out += engine.finish(horizon)
    assert key(o for o in out if isinstance(o, FindingRaised)) == reference
    assert engine.watermark_ms == horizon
