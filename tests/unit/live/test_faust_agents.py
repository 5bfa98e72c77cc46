"""The consuming task: the topic is Faust's subscription, batches go to the sink in order, and a
sink failure stops the task (and, through `on_error`, the worker) instead of being skipped."""
from __future__ import annotations

import asyncio
from typing import Any

from processors.live import faust_agents, faust_topics
from processors.live.faust_app import create_app
from processors.live.faust_batches import Batches
from processors.live.pipeline import Record


def records(n: int) -> list[Record]:
    return [Record("events", 0, o, None, b"{}", None) for o in range(n)]


def test_batches_reach_the_sink_in_order_and_a_failure_stops_the_task() -> None:
    handed: list[list[int]] = []
    errors: list[BaseException] = []

    async def scenario() -> tuple[Any, bool, int, int]:
        app = create_app(app_id="custodes-test", bootstrap="127.0.0.1:1", partitions=1,
                         positions=dict, log=lambda _m: None)
        topic = faust_topics.events_topic(app, "events", 1)
        batches = Batches("events", max_size=3, within_s=0.01)

        async def handle(batch: list[Record]) -> None:
            handed.append([r.offset for r in batch])
            if len(handed) == 3:
                raise RuntimeError("fenced")

        async def on_error(exc: BaseException) -> None:
            errors.append(exc)

        task = faust_agents.register(app, topic, batches, handle, on_error=on_error)
        subscribed = {t for channel in app.topics for t in channel.topics}
        batches.put(records(11))
        await asyncio.wait_for(task(), 5)  # returns: the failure ended it
        left = len(batches)
        app.flow_control.clear()           # a rebalance empties what is left
        return subscribed, app._app_tasks == [task], left, len(batches)

    subscribed, registered, left, after_clear = asyncio.run(scenario())
    assert subscribed == {"events"}
    assert registered
    assert handed == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert [str(e) for e in errors] == ["fenced"]
    assert (left, after_clear) == (2, 0)
