"""Per-party policy views, looked up once: rules ask for a party's table per event."""
from __future__ import annotations

from typing import Any, Protocol


class PolicyLike(Protocol):
    """What the core needs from `custodes.policy.Policy` (lets tests pass a fake)."""

    def for_party(self, party: str) -> Any: ...


class Policies(dict):  # type: ignore[type-arg]
    """Caches `policy.for_party(p)`: the hot path must not rebuild views per event.
    `policies[party]` is a plain dict lookup once the party has been seen."""

    __slots__ = ("_policy",)

    def __init__(self, policy: PolicyLike) -> None:
        super().__init__()
        self._policy = policy

    def __missing__(self, party: str) -> Any:
        view = self[party] = self._policy.for_party(party)
        return view

    def __call__(self, party: str) -> Any:
        return self[party]
