"""The worked cases of the spec, as test data (read-only, shared by the kernel tests)."""
from __future__ import annotations

from pathlib import Path

EXAMPLES = Path("/work/shared/spec/examples")
TRUST_FILE = EXAMPLES / "trust.toml"


def example_lines() -> list[tuple[str, int, bytes]]:
    """(case, line number, raw bytes) of every event line of every case."""
    out = []
    for events in sorted(EXAMPLES.glob("*/events.jsonl")):
        for n, line in enumerate(events.read_bytes().splitlines(), start=1):
            if line.strip():
                out.append((events.parent.name, n, line))
    return out


def first_query_line() -> bytes:
    """A valid ebsp.query.submitted.v1 event (clean-exchange, line 1)."""
    return (EXAMPLES / "clean-exchange" / "events.jsonl").read_bytes().splitlines()[0]
