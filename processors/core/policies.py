"""Per-party policy views, looked up once: rules ask for a party's table per event."""
from __future__ import annotations

from typing import Any, Protocol


class PolicyLike(Protocol):
    """What the core needs from `custodes.policy.Policy` (lets tests pass a fake)."""

    def for_party(self, party: str) -> Any: ...


class Policies:
    """Caches `policy.for_party(p)`: the hot path must not rebuild views per event."""

    __slots__ = ("_policy", "_views")

    def __init__(self, policy: PolicyLike) -> None:
        self._policy = policy
        self._views: dict[str, Any] = {}

    def __call__(self, party: str) -> Any:
        view = self._views.get(party)
        if view is None:
            view = self._views[party] = self._policy.for_party(party)
        return view
