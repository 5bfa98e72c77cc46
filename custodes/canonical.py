"""Canonical bytes and event hash of SPEC §2.

Canonical bytes: JSON with keys sorted at every level, no whitespace, UTF-8,
non-ASCII not escaped; equal to
``json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
for the float-free events the spec allows. orjson produces the same bytes and
is an order of magnitude faster; `canonical_bytes_reference` is the stdlib
definition, kept for tests that prove the two agree.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

ZERO_HASH = "0" * 64
_OPTS = orjson.OPT_SORT_KEYS


def canonical_bytes(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event, option=_OPTS)


def canonical_bytes_reference(event: dict[str, Any]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: dict[str, Any]) -> str:
    """Hex SHA-256 of the canonical bytes of a wire event (a dict)."""
    return hashlib.sha256(orjson.dumps(event, option=_OPTS)).hexdigest()
