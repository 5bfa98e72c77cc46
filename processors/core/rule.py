"""The shape every rule family has, so the engine can compose them blindly.

A rule family declares which event types it wants (`handlers`), appends its
findings to the `out` list it is given (never raises on input), and answers
its pending questions when the engine moves the cut (`advance`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from custodes.events import Event
from processors.core.agenda import Cut
from processors.core.findings import Output

Handler = Callable[[Event, list[Output]], None]


class Rule(Protocol):
    def handlers(self) -> dict[str, Handler]: ...

    def advance(self, cut: Cut, out: list[Output]) -> None: ...


class Immediate:
    """Base for rules decided by one event alone: nothing to wait for."""

    def advance(self, cut: Cut, out: list[Output]) -> None:
        return None


def blank(text: str | None) -> bool:
    """Null, empty or whitespace-only: the spec's test for a missing justification."""
    return not text or text.isspace()
