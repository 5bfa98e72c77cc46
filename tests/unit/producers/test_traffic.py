"""Compliant traffic looks like the real exchange and obeys every safeguard by itself."""
from __future__ import annotations

from collections import Counter, defaultdict

from custodes.parties import EU_PARTIES, US
from custodes.policy import parse_policy
from custodes.timefmt import MS_PER_DAY, MS_PER_HOUR, hour_of, month_of
from tests.unit.producers.helpers import month_run, simulate

Q, A, T = "ebsp.query.submitted.v1", "ebsp.query.answered.v1", "ebsp.transfer.sent.v1"
DEL = "ebsp.deletion.performed.v1"


def test_the_us_queries_far_more_than_eu_nodes_and_large_states_more_than_small():
    out = month_run()
    by_pair = Counter((d.requesting_party, d.requested_party) for _, d in out.data_of(Q))
    us_out = sum(n for (r, _), n in by_pair.items() if r == US)
    eu_out = sum(n for (r, _), n in by_pair.items() if r != US)
    assert us_out > 3 * eu_out
    assert by_pair[(US, "DE")] > 20 * by_pair[(US, "MT")]
    assert by_pair[("FR", US)] > 10 * by_pair[("LU", US)]
    assert all(by_pair[(US, p)] > 0 for p in EU_PARTIES)
    # Tens of thousands of queries a day at scale 1.
    assert 20_000 < (us_out + eu_out) / 40 / 0.01 < 100_000


def test_daily_and_weekly_rhythm():
    out = month_run()
    hours = Counter((e.time_ms % MS_PER_DAY) // MS_PER_HOUR for e, d in out.data_of(Q)
                    if d.requesting_party == US)
    assert hours[17] > 3 * hours[5]  # US ports of entry: afternoon US time vs night
    eu_hours = Counter((e.time_ms % MS_PER_DAY) // MS_PER_HOUR for e, d in out.data_of(Q)
                       if d.requesting_party != US)
    assert eu_hours[10] > 5 * eu_hours[2]
    weekday = Counter(((e.time_ms // MS_PER_DAY) + 3) % 7 for e, d in out.data_of(Q)
                      if d.requesting_party == US)
    assert weekday[4] > weekday[1]  # Friday busier than Tuesday (config: 1.15 vs 0.9)


def test_transfers_only_after_a_hit_answer_from_the_sender():
    out = month_run()
    hits = {(d.query_id, e.party): e.time_ms for e, d in out.data_of(A) if d.result == "hit"}
    transfers = out.data_of(T)
    assert transfers
    for e, d in transfers:
        assert hits.get((d.query_id, d.sender), 1 << 62) <= e.time_ms, d.transfer_id


def test_every_transfer_is_deleted_in_full_by_the_recipient_within_retention():
    out = month_run()
    deleted = {(d.transfer_id, d.party): e.time_ms for e, d in out.data_of(DEL) if d.scope == "full"}
    moved = {d.transfer_id: d for _, d in out.data_of("ebsp.retention.assessed.v1")
             if d.continuing_risk}
    horizon = out.result.horizon_ms
    checked = 0
    for e, d in out.data_of(T):
        days = 7 if d.special_categories else 14
        deadline = e.time_ms + days * MS_PER_DAY
        if d.transfer_id in moved:
            from custodes.timefmt import parse_ms
            deadline = parse_ms(moved[d.transfer_id].review_by)
        if deadline < horizon:
            assert deleted.get((d.transfer_id, d.recipient), 1 << 62) <= deadline, d.transfer_id
            checked += 1
    assert checked > 100


def test_no_officer_exceeds_twenty_queries_in_a_utc_hour():
    out = month_run()
    per_hour = Counter((d.requesting_party, d.officer_ref, hour_of(e.time_ms)) for e, d in out.data_of(Q))
    assert max(per_hour.values()) <= 20
    officers = {(d.requesting_party, d.officer_ref) for _, d in out.data_of(Q)}
    assert len(officers) > 100  # many officers, not a handful of busy ones


def test_queries_are_individual_justified_and_for_allowed_purposes_from_allowed_sources():
    out = month_run()
    allowed = {"border_screening", "identity_verification", "immigration_benefit"}
    for _, d in out.data_of(Q):
        assert d.records_requested == 1 and d.individual_justification.strip()
        assert d.purpose in allowed
    for _, d in out.data_of(T):
        assert not set(d.source_databases) & {"EURODAC", "ECRIS-TCN", "EES"}
        assert not d.special_categories or (d.special_category_justification or "").strip()


def test_reciprocity_holds_for_every_party_and_month():
    out = month_run()
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for e, d in out.data_of(T):
        eu = d.recipient if d.sender == US else d.sender
        counts[(eu, month_of(e.time_ms))][0 if d.sender == eu else 1] += 1
    big = 0
    for (party, month), (a, b) in counts.items():
        if a + b >= 20:
            big += 1
            assert 1000 * min(a, b) >= 500 * max(a, b), (party, month, a, b)
    assert big >= 10  # the check is not vacuous


def test_a_policy_override_of_the_recipients_retention_is_respected():
    policy = parse_policy("[parties.US.retention]\ndefault_days = 2\nspecial_category_days = 1\n")
    out = simulate(duration="6d", scale=0.02, policy=policy, nodes=("US", "DE", "FR", "IT"))
    deleted = {d.transfer_id: e.time_ms for e, d in out.data_of(DEL) if d.party == US}
    moved = {d.transfer_id for _, d in out.data_of("ebsp.retention.assessed.v1") if d.continuing_risk}
    to_us = [(e, d) for e, d in out.data_of(T) if d.recipient == US and d.transfer_id not in moved]
    assert to_us
    for e, d in to_us:
        days = 1 if d.special_categories else 2
        if e.time_ms + days * MS_PER_DAY < out.result.horizon_ms:
            assert deleted[d.transfer_id] <= e.time_ms + days * MS_PER_DAY
