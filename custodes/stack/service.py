"""What `custodes stack status` reports for one service."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    address: str
    answering: bool
    pid: int | None  # None when not started from this checkout
    data_dir: Path
    log: Path

    def describe(self) -> str:
        if self.answering and self.pid is not None:
            state = f"running, pid {self.pid}"
        elif self.answering:
            state = "running (not started from this checkout)"
        elif self.pid is not None:
            state = f"NOT ANSWERING, pid {self.pid} alive"
        else:
            state = "not running"
        return (f"{self.name:<10} {state}\n"
                f"{'':<10} address {self.address}\n"
                f"{'':<10} data    {self.data_dir}\n"
                f"{'':<10} log     {self.log}")
