"""What one batch changes in the projections, accumulated in memory.

Counters are additive (the writer adds them to the stored rows); registers
are field sets merged per key (the writer upserts them, keeping stored values
where the batch has none); conditional moves (a retention deadline moved by an
assessment, a clock closed by a deletion) keep their arrival order. Times are
epoch milliseconds; the writer converts them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Fields = dict[str, Any]


@dataclass(slots=True)
class Deltas:
    # (day_ms, from_party, to_party) -> [queries, hits, transfers]
    volumes: dict[tuple[int, str, str], list[int]] = field(default_factory=dict)
    # (party, "YYYY-MM") -> [a, b]
    reciprocity: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    # party -> [decisions, adverse_significant, with_review, without_review, automated, hrv1]
    review: dict[str, list[int]] = field(default_factory=dict)
    clocks: dict[str, Fields] = field(default_factory=dict)
    # (transfer_id, assessing party, assessed_ms, new_deadline_ms)
    clock_moves: list[tuple[str, str, int, int]] = field(default_factory=list)
    # (transfer_id, deleting party, deleted_ms)
    clock_deletions: list[tuple[str, str, int]] = field(default_factory=list)
    onward: dict[str, Fields] = field(default_factory=dict)
    remedies: dict[str, Fields] = field(default_factory=dict)
    # (remedy_id, party, extended_ms, extension_ms)
    remedy_extensions: list[tuple[str, str, int, int]] = field(default_factory=list)
    # party -> [source, events, last_seq, last_time_ms, checkpoint_seq|None, checkpoint_ms|None]
    nodes: dict[str, list[Any]] = field(default_factory=dict)
    # party -> [last finding_id, last key, count]
    node_int1: dict[str, list[Any]] = field(default_factory=dict)
    findings_raised: list[Fields] = field(default_factory=list)
    # (finding_id, observed_ms, evidence)
    findings_resolved: list[tuple[str, int, list[str]]] = field(default_factory=list)

    def add(self, table: dict[Any, list[int]], key: Any, index: int, width: int) -> None:
        row = table.get(key)
        if row is None:
            row = table[key] = [0] * width
        row[index] += 1

    def merge(self, table: dict[str, Fields], key: str, values: Fields) -> None:
        row = table.get(key)
        if row is None:
            table[key] = dict(values)
        else:
            row.update(values)
