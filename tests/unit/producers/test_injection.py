"""Injected misbehaviour follows the configured rates and is all in the ground truth."""
from __future__ import annotations

import math
from collections import Counter

from producers.config import RULES, injection_profile, load_config
from producers.truth import finding_id
from tests.unit.producers.helpers import TEST_CONFIG, month_run


def test_draws_follow_the_configured_rates_per_rule():
    out = month_run("heavy")
    rates = injection_profile(load_config(TEST_CONFIG), "heavy")
    for rule in RULES:
        rows = out.sim.w.draws.get(rule, {})
        n = sum(r[0] for r in rows.values())
        drawn = sum(r[1] for r in rows.values())
        expected = sum(r[0] * rates.rate(rule, p) for p, r in rows.items())
        sigma = math.sqrt(max(expected, 1.0))
        assert n > 0, rule
        assert abs(drawn - expected) <= 5 * sigma + 1, (rule, n, drawn, expected)


def test_every_rule_of_spec_section_6_is_injected_by_the_heavy_profile():
    truth = month_run("heavy").truth()
    by_rule = Counter(r["rule"] for r in truth)
    missing = [r for r in RULES if by_rule[r] == 0]
    assert not missing, by_rule


def test_truth_records_carry_the_spec_finding_id_and_no_duplicates():
    truth = month_run("heavy").truth()
    ids = [r["finding_id"] for r in truth]
    assert len(ids) == len(set(ids))
    assert all(r["finding_id"] == finding_id(r["rule"], r["key"]) for r in truth)


def test_profile_none_records_no_violation():
    out = month_run("none")
    assert out.truth() == []
    assert all(r[1] == 0 for rows in out.sim.w.draws.values() for r in rows.values())


def test_deadline_violations_are_only_in_the_truth_once_their_deadline_passed():
    out = month_run("heavy")
    horizon = out.result.horizon_ms
    pending = [r for r in out.result.truth if r["rule"] in ("RET-1", "ONW-2", "RMD-1")]
    assert any(r["due_ms"] >= horizon for r in pending)  # some not yet due ...
    assert all(r["due_ms"] < horizon for r in out.truth() if r in pending)  # ... are left out
