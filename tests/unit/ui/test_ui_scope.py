"""Roles and scopes of SPEC §8, and the small pure helpers of the dashboard."""
from __future__ import annotations

import csv
import io

import pytest

from custodes.parties import EU_PARTIES, PARTIES
from oversight_ui.access import clean_filters
from oversight_ui.queries.common import Column, cell_text, csv_cell, csv_text
from oversight_ui.routers.auth import safe_next
from oversight_ui.rules_text import RULES
from oversight_ui.scope import UnknownRole, all_roles, scope_for
from oversight_ui.templating import duration, permille


def test_a_national_dpa_sees_rows_where_its_party_is_a_party() -> None:
    de = scope_for("dpa:DE")
    assert de.allows_any(["DE", "US"]) and de.allows_any(["DE"])
    assert not de.allows_any(["FR", "US"]) and not de.allows_any([])
    assert de.label == "DE" and not de.aggregates_only and not de.can_export_bundle


def test_edps_sees_every_eu_party_but_not_us_only_rows() -> None:
    edps = scope_for("edps")
    assert edps.label == "EU" and edps.parties == frozenset(EU_PARTIES)
    assert all(edps.allows_any([p, "US"]) for p in EU_PARTIES)
    assert not edps.allows_any(["US"])


def test_us_privacy_sees_rows_where_the_us_is_a_party() -> None:
    us = scope_for("us-privacy")
    assert us.allows_any(["FR", "US"]) and not us.allows_any(["FR", "DE"])


def test_joint_review_is_unrestricted_but_aggregates_only() -> None:
    jr = scope_for("joint-review")
    assert jr.parties is None and jr.aggregates_only and jr.label == "all"
    assert jr.party_list() is None


def test_auditor_exports_bundles_within_its_scope() -> None:
    assert scope_for("auditor").can_export_bundle and scope_for("auditor").parties is None
    de = scope_for("auditor:DE")
    assert de.can_export_bundle and de.parties == {"DE"}


@pytest.mark.parametrize("role", ["dpa:BG", "dpa:de", "dpa:", "admin", "auditor:XX", "EDPS", ""])
def test_unknown_roles_are_refused_with_a_reason(role: str) -> None:
    with pytest.raises(UnknownRole, match="role|party"):
        scope_for(role)


def test_every_role_offered_is_valid_and_covers_every_party() -> None:
    roles = all_roles()
    assert {r[4:] for r in roles if r.startswith("dpa:")} == set(PARTIES)
    for r in roles:
        scope_for(r)


def test_access_filters_are_reduced_to_float_free_json() -> None:
    assert clean_filters({"party": "DE", "page": 2, "x": None, "ratio": 0.5, "l": ["a", 1]}) == {
        "l": ["a", 1], "page": 2, "party": "DE", "ratio": "0.5"}


def test_every_rule_of_spec_section_6_has_its_text_and_legal_basis() -> None:
    spec_rules = {"PUR-1", "SYS-1", "SYS-2", "MAT-1", "SRC-1", "SPC-1", "RET-1", "ONW-1", "ONW-2",
                  "HRV-1", "REC-1", "RMD-1", "INT-1"}
    assert set(RULES) == spec_rules
    assert all(r.legal_basis and r.checks and r.title for r in RULES.values())


def test_ratios_and_durations_are_rendered_from_integers() -> None:
    assert permille(1, 3) == "33.3 %" and permille(2, 3) == "66.7 %" and permille(0, 0) == "—"
    assert cell_text(Column("r", "r", "pct"), [1, 8]) == "12.5 %"
    assert duration(90_000_000) == "1 d 1 h" and duration(125_000) == "2 min"


@pytest.mark.parametrize("target, expected", [
    ("/findings?rule=RET-1", "/findings?rule=RET-1"), ("//evil.example", "/"),
    ("https://evil.example/", "/"), ("/\\evil", "/"), ("", "/"), (None, "/")])
def test_redirect_after_sign_in_stays_on_the_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted() -> None:
    text, num = Column("purpose", "Purpose"), Column("balance", "Balance", "int")
    rows = [{"purpose": p, "balance": -3} for p in ("=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)",
                                                    "\tx", "\rx", "plain")]
    parsed = list(csv.reader(io.StringIO(csv_text([text, num], rows), newline="")))
    assert parsed[0] == ["Purpose", "Balance"]
    assert [csv_cell(text, r["purpose"]) for r in rows] == [
        "'=HYPERLINK(\"http://x\")", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "plain"]
    assert [r[0] for r in parsed[1:]] == [csv_cell(text, r["purpose"]) for r in rows]
    assert {r[1] for r in parsed[1:]} == {"-3"}
    assert csv_cell(num, -3) == "-3"
