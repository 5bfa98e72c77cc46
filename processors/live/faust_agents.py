"""The one consumer of node events: batches handed to the pipeline through the sink.

The events topic is subscribed through Faust's conductor (`app.topics`), so
Faust's consumer, its group membership, its rebalances and the seek to the
positions stored in PostgreSQL (faust_app.py) stay in charge of what is read.
What the consumer fetches arrives in `Batches` (faust_batches.py) rather than
one message at a time through a stream; this task takes a batch at a time
and awaits the sink, which processes it and commits archive, projections and
positions in one PostgreSQL transaction.

The task never raises on input: bad input is quarantined by the pipeline.
Anything else (the database fencing this processor, a bug) stops the whole
worker with a non-zero exit, because the engine state has already moved past
the batch: carrying on, as Faust does for a crashed agent, would lose it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import faust

from processors.live.faust_batches import Batches
from processors.live.pipeline import Record

Handler = Callable[[list[Record]], Awaitable[None]]


def register(app: faust.App, topic: Any, batches: Batches, handle: Handler, *,
             on_error: Callable[[BaseException], Awaitable[None]]) -> Any:
    app.topics.add(topic)  # subscribed by Faust's consumer; fetched records go to `batches`
    app.flow_control.manage_queue(batches)  # type: ignore[arg-type]  # cleared on rebalance

    async def events() -> None:
        while not app.should_stop:
            records = await batches.take()
            if not records:
                continue
            try:
                await handle(records)
            except Exception as exc:  # noqa: BLE001 - not input: stop the worker, lose nothing
                await on_error(exc)
                return

    return app.task(events)
