"""Parties and node identities of SPEC §1."""
from __future__ import annotations

from typing import Literal, get_args

EU_PARTIES: tuple[str, ...] = (
    "AT", "BE", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "SE", "SI", "SK",
)
US = "US"
PARTIES: tuple[str, ...] = EU_PARTIES + (US,)

Party = Literal[
    "AT", "BE", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "SE", "SI", "SK", "US",
]
assert get_args(Party) == PARTIES

NODE_PREFIX = "urn:ebsp:node:"
PLATFORM_SOURCE = "urn:ebsp:platform"
NODE_SOURCES: dict[str, str] = {NODE_PREFIX + p: p for p in PARTIES}


def node_source(party: str) -> str:
    return NODE_PREFIX + party

