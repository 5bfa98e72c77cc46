"""The policy of SPEC §4: framework parameters, with per-party overrides.

The defaults are placeholders the agreement and each implementing arrangement
will fix, so every value is configuration. A `[parties.<PARTY>]` table may
override any of them for data that party receives or holds. Rules read the
policy on the hot path, so each party's effective values are resolved once,
at load, into a frozen `PartyPolicy`; `policy.for_party("US")` is a dict
lookup. A policy file with a typo must not silently fall back to a default
(a supervisor would audit against the wrong retention period), so unknown
sections and keys are errors that name the file and the key.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, get_args

from custodes.events import Purpose
from custodes.parties import PARTIES

PURPOSES: frozenset[str] = frozenset(get_args(Purpose))
_DATABASE_ID = re.compile(r"[A-Z0-9][A-Z0-9_.-]*")
MAX_DAYS = 36_525  # a century: anything longer is a typo, not a retention period


class PolicyError(ValueError):
    """The policy cannot be used; the message names the file, the table and the key."""


# (section, key) -> (PartyPolicy attribute, kind, default)
SCHEMA: dict[tuple[str, str], tuple[str, str, Any]] = {
    ("retention", "default_days"): ("retention_default_days", "days", 14),
    ("retention", "special_category_days"): ("retention_special_category_days", "days", 7),
    ("retention", "max_review_days"): ("retention_max_review_days", "days", 365),
    ("purposes", "allowed"): (
        "purposes_allowed", "purposes",
        ("border_screening", "identity_verification", "immigration_benefit"),
    ),
    ("sources", "prohibited"): ("sources_prohibited", "databases", ("EURODAC", "ECRIS-TCN", "EES")),
    ("systematic", "max_queries_per_officer_hour"): ("max_queries_per_officer_hour", "count", 20),
    ("onward", "decision_days"): ("onward_decision_days", "days", 30),
    ("reciprocity", "min_ratio_permille"): ("reciprocity_min_ratio_permille", "permille", 500),
    ("reciprocity", "min_volume"): ("reciprocity_min_volume", "count", 20),
    ("remedy", "deadline_days"): ("remedy_deadline_days", "days", 30),
    ("remedy", "extension_days"): ("remedy_extension_days", "days", 60),
}
SECTIONS: dict[str, tuple[str, ...]] = {
    section: tuple(k for s, k in SCHEMA if s == section) for section, _ in SCHEMA
}


@dataclass(frozen=True, slots=True)
class PartyPolicy:
    """The effective parameters for one party (defaults with its overrides applied)."""

    retention_default_days: int
    retention_special_category_days: int
    retention_max_review_days: int
    purposes_allowed: frozenset[str]
    sources_prohibited: frozenset[str]
    max_queries_per_officer_hour: int
    onward_decision_days: int
    reciprocity_min_ratio_permille: int
    reciprocity_min_volume: int
    remedy_deadline_days: int
    remedy_extension_days: int


class Policy:
    """Defaults plus per-party views; `for_party` of a party without overrides is the default."""

    def __init__(self, values: dict[str, Any], overrides: dict[str, dict[str, Any]], origin: str):
        self.origin = origin
        self.default = PartyPolicy(**values)
        self._views = {p: PartyPolicy(**{**values, **o}) for p, o in overrides.items()}

    def for_party(self, party: str) -> PartyPolicy:
        return self._views.get(party, self.default)

    def as_dict(self) -> dict[str, Any]:
        """The effective policy as plain data (sorted lists), e.g. for an audit report."""
        def plain(view: PartyPolicy) -> dict[str, Any]:
            out = {}
            for f in fields(view):
                value = getattr(view, f.name)
                out[f.name] = sorted(value) if isinstance(value, frozenset) else value
            return out
        return {
            "origin": self.origin, "default": plain(self.default),
            "parties": {p: plain(v) for p, v in sorted(self._views.items())},
        }


def _value(kind: str, value: Any, where: str) -> Any:
    """Check one value against its kind; returns it in PartyPolicy form."""
    if kind in ("days", "count", "permille"):
        if type(value) is not int:
            raise PolicyError(f"{where}: expected a whole number, got {type(value).__name__} {value!r}")
        if value < 0:
            raise PolicyError(f"{where}: must not be negative, got {value}")
        if kind == "days" and value > MAX_DAYS:
            raise PolicyError(f"{where}: {value} days is more than a century; is it a typo?")
        if kind == "permille" and value > 1000:
            raise PolicyError(f"{where}: a ratio in permille is at most 1000, got {value}")
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where}: expected a list of strings, got {value!r:.80}")
    if kind == "purposes":
        bad = sorted(set(value) - PURPOSES)
        if bad:
            raise PolicyError(f"{where}: {bad[0]!r} is not a purpose of SPEC §3 "
                              f"(one of {', '.join(sorted(PURPOSES))})")
    else:
        bad = [v for v in value if not _DATABASE_ID.fullmatch(v)]
        if bad:
            raise PolicyError(f"{where}: {bad[0]!r} is not an upper-case database id like DE-AFIS")
    return frozenset(value)


def _tables(doc: dict[str, Any], origin: str, prefix: str = "") -> dict[str, Any]:
    """Validate the sections of `doc` (top level, or one party's table when `prefix` is
    "parties.XX.") → {PartyPolicy attribute: value}."""
    out: dict[str, Any] = {}
    for section, table in doc.items():
        if section not in SECTIONS:
            known = ", ".join(SECTIONS) + ("" if prefix else ", parties")
            what = "table" if isinstance(table, dict) else "key"
            raise PolicyError(f"{origin}: unknown {what} [{prefix}{section}] (known tables: {known})")
        if not isinstance(table, dict):
            raise PolicyError(f"{origin}: [{prefix}{section}] must be a table, got {table!r:.40}")
        for key, value in table.items():
            if (section, key) not in SCHEMA:
                raise PolicyError(f"{origin}: unknown key {key!r} in [{prefix}{section}] "
                                  f"(known: {', '.join(SECTIONS[section])})")
            attr, kind, _ = SCHEMA[(section, key)]
            out[attr] = _value(kind, value, f"{origin}: [{prefix}{section}] {key}")
    return out


def parse_policy(text: str, origin: str = "<policy>") -> Policy:
    """A Policy from TOML text; PolicyError names `origin` and the offending table/key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{origin}: not valid TOML: {exc}") from None
    parties = doc.pop("parties", {})
    values = {attr: (frozenset(d) if isinstance(d, tuple) else d) for attr, _, d in SCHEMA.values()}
    values.update(_tables(doc, origin))
    if not isinstance(parties, dict):
        raise PolicyError(f"{origin}: [parties] must hold [parties.<PARTY>] tables")
    overrides: dict[str, dict[str, Any]] = {}
    for party, table in parties.items():
        if party not in PARTIES:
            raise PolicyError(f"{origin}: [parties.{party}]: {party!r} is not a party of the "
                              "framework (§1)")
        if not isinstance(table, dict):
            raise PolicyError(f"{origin}: [parties.{party}] must be a table")
        overrides[party] = _tables(table, origin, f"parties.{party}.")
    return Policy(values, overrides, origin)


def load_policy(path: str | os.PathLike[str] | None) -> Policy:
    """The policy file at `path`, or SPEC §4's defaults when `path` is None."""
    if path is None:
        return parse_policy("", origin="defaults (SPEC §4)")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read policy file: {exc}") from None
    return parse_policy(text, origin=str(path))
