"""The app's routes as a flat list (path, methods, name), also through included
routers: FastAPI ≥0.16x keeps included routers as `_IncludedRouter` nodes in
`app.routes`, so the security tests enumerate routes through this helper."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.routing import Mount


def flat_routes(app: Any) -> Iterator[tuple[str, frozenset[str], str]]:
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for ctx in contexts():
                original = ctx.original_route
                yield (ctx.path, frozenset(getattr(original, "methods", None) or ()),
                       getattr(original, "name", ""))
        elif isinstance(route, Mount):
            yield (route.path, frozenset({"GET"}), route.name or "")
        else:
            yield (getattr(route, "path", ""), frozenset(getattr(route, "methods", None) or ()),
                   getattr(route, "name", ""))
