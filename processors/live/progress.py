"""The processor's progress/health line on stderr: lag, throughput, findings, watermark."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from custodes.timefmt import format_ms
from store.batch import Batch

EVERY_S = 5.0


class Progress:
    def __init__(self, log: Callable[[str], None], consumer: Any, topic: str) -> None:
        self.log, self.consumer, self.topic = log, consumer, topic
        self.records = self.accepted = self.quarantined = self.findings = self.duplicates = 0
        self.write_s = 0.0
        self.started = self.last = time.monotonic()
        self.last_records = 0

    def batch(self, b: Batch, write_s: float, pipeline: Any) -> None:
        self.records += b.records
        self.accepted += b.accepted
        self.quarantined += len(b.quarantine_rows)
        self.findings += len(b.platform_outputs)
        self.duplicates += b.duplicates
        self.write_s += write_s

    def lag(self, positions: dict[tuple[str, int], int]) -> int | None:
        try:
            ends = self.consumer.end_offsets(list(self.consumer.assignment()))
        except Exception:  # noqa: BLE001 - broker away: lag unknown
            return None
        return sum(max(0, end - positions.get((tp.topic, tp.partition), 0))
                   for tp, end in ends.items())

    def tick(self, pipeline: Any, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < EVERY_S:
            return
        rate = (self.records - self.last_records) / max(now - self.last, 1e-6)
        self.last, self.last_records = now, self.records
        wm = pipeline.advanced_to
        self.log(
            f"process: {self.records:,} records ({rate:,.0f}/s), {self.accepted:,} archived, "
            f"{self.quarantined:,} quarantined, {self.duplicates:,} duplicates, "
            f"{self.findings:,} platform events, lag {self.lag(pipeline.positions)}, "
            f"watermark {format_ms(wm) if wm is not None else '-'}"
            + (f" (waiting for checkpoints of {','.join(pipeline.watermark.waiting_for())})"
               if wm is None and pipeline.watermark.waiting_for() else ""))
