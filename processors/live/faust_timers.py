"""The periodic tick: emit what a rebuild decided, publish the outbox, progress, idle exit.

Without new records the sink is not called, yet findings decided at start
(rebuild) must still be stored, the outbox retried after a broker outage, the
progress line printed and, for catch-up runs, the worker stopped once idle.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

import faust


def register(app: faust.App, tick: Callable[[], Awaitable[None]], interval_s: float = 1.0) -> None:
    @app.timer(interval=interval_s, name="custodes.tick", on_leader=False)
    async def every_second() -> None:
        await tick()
