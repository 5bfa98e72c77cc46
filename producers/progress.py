"""Progress on stderr: a live line on a terminal, a plain line every few seconds otherwise."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from custodes.timefmt import format_ms


class Progress:
    def __init__(self, counts: dict[str, int], stream: TextIO | None = None,
                 every_s: float | None = None, detail: Callable[[], str] | None = None) -> None:
        self.detail = detail
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every_s if every_s is not None else (0.5 if self.tty else 5.0)
        self.counts = counts
        self.start = self.last = time.monotonic()
        self.last_events = 0

    def __call__(self, sim_ms: int, events: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        rate = (events - self.last_events) / max(now - self.last, 1e-9)
        self.last, self.last_events = now, events
        top = sorted(self.counts.items(), key=lambda kv: -kv[1])[:6]
        nodes = " ".join(f"{p}:{n:,}" for p, n in top)
        line = (f"sim {format_ms(sim_ms)[:16]}Z  {events:,} events  {rate:,.0f} ev/s  "
                f"[{nodes}{' …' if len(self.counts) > 6 else ''}]")
        if self.detail is not None:
            line += f"  ({self.detail()})"
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
