"""The policy: §4's defaults, per-party overrides, and errors a policy author can act on."""
from __future__ import annotations

from pathlib import Path

import pytest

from custodes.policy import PolicyError, load_policy, parse_policy

from .examples import EXAMPLES


def test_defaults_are_those_of_spec_section_4() -> None:
    p = load_policy(None).for_party("DE")
    assert (p.retention_default_days, p.retention_special_category_days,
            p.retention_max_review_days) == (14, 7, 365)
    assert p.purposes_allowed == {"border_screening", "identity_verification", "immigration_benefit"}
    assert p.sources_prohibited == {"EURODAC", "ECRIS-TCN", "EES"}
    assert p.max_queries_per_officer_hour == 20
    assert p.onward_decision_days == 30
    assert (p.reciprocity_min_ratio_permille, p.reciprocity_min_volume) == (500, 20)
    assert (p.remedy_deadline_days, p.remedy_extension_days) == (30, 60)


def test_the_spec_example_overrides_apply_only_to_their_party(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        "[retention]\ndefault_days = 14\n\n"
        '[purposes]\nallowed = ["border_screening", "identity_verification"]\n\n'
        "[parties.US.retention]   # data received or held by the US node\ndefault_days = 3\n"
    )
    policy = load_policy(path)
    us, de = policy.for_party("US"), policy.for_party("DE")
    assert (us.retention_default_days, de.retention_default_days) == (3, 14)
    assert us.purposes_allowed == de.purposes_allowed == {"border_screening", "identity_verification"}
    assert us.retention_special_category_days == 7  # not overridden: the file's/default value
    assert policy.for_party("") is policy.default


def test_party_overrides_replace_lists_and_accept_national_database_ids() -> None:
    policy = parse_policy('[parties.FR]\nsources = { prohibited = ["EURODAC", "FR-FAED"] }\n')
    assert policy.for_party("FR").sources_prohibited == {"EURODAC", "FR-FAED"}
    assert policy.for_party("DE").sources_prohibited == {"EURODAC", "ECRIS-TCN", "EES"}


def test_views_are_frozen() -> None:
    view = load_policy(None).for_party("US")
    with pytest.raises(AttributeError):
        view.retention_default_days = 1  # type: ignore[misc]


def test_every_example_policy_loads() -> None:
    for path in EXAMPLES.glob("*/policy.toml"):
        load_policy(path)


@pytest.mark.parametrize("text,expected", [
    ("[retention\n", "not valid TOML"),
    ("[retentoin]\ndefault_days = 3", "unknown table [retentoin]"),
    ("[retention]\ndefault_day = 3", "unknown key 'default_day' in [retention]"),
    ("[retention]\ndefault_days = '14'", "[retention] default_days: expected a whole number"),
    ("[retention]\ndefault_days = 14.0", "[retention] default_days: expected a whole number"),
    ("[retention]\ndefault_days = true", "expected a whole number, got bool"),
    ("[parties.US.retention]\ndefault_days = -3", "[parties.US.retention] default_days: must not be negative"),
    ("[retention]\ndefault_days = 1000000", "more than a century"),
    ("[reciprocity]\nmin_ratio_permille = 1500", "at most 1000"),
    ("[parties.BG.retention]\ndefault_days = 3", "[parties.BG]: 'BG' is not a party"),
    ("[parties.US.retention]\ndefault_dayz = 3", "unknown key 'default_dayz' in [parties.US.retention]"),
    ("[parties.US]\nretention_days = 3", "unknown key [parties.US.retention_days]"),
    ('[purposes]\nallowed = ["spying"]', "'spying' is not a purpose"),
    ('[purposes]\nallowed = "border_screening"', "expected a list of strings"),
    ('[sources]\nprohibited = ["eurodac"]', "'eurodac' is not an upper-case database id"),
])
def test_bad_policies_name_the_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert str(exc.value).startswith(str(path)) and expected in str(exc.value)


def test_a_missing_policy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "absent.toml")
