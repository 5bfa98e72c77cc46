"""Roles of SPEC §8 and the scope each one sees.

A scope is the set of parties whose involvement makes a row visible, plus two
flags: whether only aggregates may be shown (joint review) and whether the
role may export an audit bundle (auditor). Every query of the dashboard takes
a `Scope` and applies `Scope.parties` to the party columns of its table, so a
view cannot forget the filter: there is no unscoped query function.
"""
from __future__ import annotations

from dataclasses import dataclass

from custodes.parties import EU_PARTIES, PARTIES, US


class UnknownRole(ValueError):
    """A role string outside SPEC §8."""


@dataclass(frozen=True)
class Scope:
    role: str
    # Parties of which at least one must be involved in a row; None = every party.
    parties: frozenset[str] | None
    aggregates_only: bool = False
    can_export_bundle: bool = False

    @property
    def label(self) -> str:
        """Short text for the `scope` field of access events and the page header."""
        if self.parties is None:
            return "all"
        if self.parties == frozenset(EU_PARTIES):
            return "EU"
        return ",".join(sorted(self.parties))

    def allows_any(self, parties: list[str] | tuple[str, ...] | set[str] | frozenset[str]) -> bool:
        """True when the row whose involved parties are `parties` is in scope."""
        return self.parties is None or any(p in self.parties for p in parties)

    def party_list(self) -> list[str] | None:
        """Sorted parties for SQL `= ANY(...)`/`&&` filters, None when unrestricted."""
        return None if self.parties is None else sorted(self.parties)


ROLE_HELP = (
    "dpa:<PARTY> (national DPA of a §1 party), edps, us-privacy, joint-review, "
    "auditor (all parties) or auditor:<PARTY> (an auditor limited to one party)"
)


def all_roles() -> list[str]:
    """Every role a user can be given, in the order the demo seeds them."""
    return [f"dpa:{p}" for p in PARTIES] + ["edps", "us-privacy", "joint-review", "auditor"]


def scope_for(role: str) -> Scope:
    """The scope of a role string; UnknownRole names what is wrong."""
    if role.startswith("dpa:"):
        party = role[4:]
        if party not in PARTIES:
            raise UnknownRole(f"unknown party in role {role!r}: expected one of {' '.join(PARTIES)}")
        return Scope(role=role, parties=frozenset({party}))
    if role == "edps":
        return Scope(role=role, parties=frozenset(EU_PARTIES))
    if role == "us-privacy":
        return Scope(role=role, parties=frozenset({US}))
    if role == "joint-review":
        return Scope(role=role, parties=None, aggregates_only=True)
    if role == "auditor":
        return Scope(role=role, parties=None, can_export_bundle=True)
    if role.startswith("auditor:"):
        party = role[8:]
        if party not in PARTIES:
            raise UnknownRole(f"unknown party in role {role!r}: expected one of {' '.join(PARTIES)}")
        return Scope(role=role, parties=frozenset({party}), can_export_bundle=True)
    raise UnknownRole(f"unknown role {role!r}: expected {ROLE_HELP}")
