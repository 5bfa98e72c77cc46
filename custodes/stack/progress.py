"""One line per phase of `custodes stack up`, stamped with the seconds since it began."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, out: TextIO = sys.stdout) -> None:
        self._out = out
        self._start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def say(self, service: str, message: str) -> None:
        print(f"[{self.elapsed():5.1f}s] {service}: {message}", file=self._out, flush=True)
