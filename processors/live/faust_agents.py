"""The one agent: node events in batches, handed to the pipeline through the sink.

Thin on purpose: it turns Faust events into the pipeline's `Record`s (Kafka
coordinates and raw bytes) and awaits the sink, which processes the batch and
commits archive, projections and positions in one PostgreSQL transaction.
The agent never raises on input: bad input is quarantined by the pipeline.
Anything else (the database fencing this processor, a bug) stops the whole
worker with a non-zero exit, because the engine state has already moved past
the batch: acking it and carrying on, as Faust does for a crashed agent,
would lose it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import faust

from processors.live.pipeline import Record

Handler = Callable[[list[Record]], Awaitable[None]]


def record_of(event: Any) -> Record:
    m = event.message
    ts = m.timestamp
    return Record(m.topic, m.partition, m.offset, m.key, m.value,
                  int(ts * 1000) if ts is not None else None)


def register(app: faust.App, topic: Any, handle: Handler, *, batch_size: int,
             within_s: float, on_error: Callable[[BaseException], Awaitable[None]]) -> Any:
    @app.agent(topic, name="custodes.events", concurrency=1)
    async def events(stream: Any) -> None:  # faust.Stream (StreamT lacks take_events)
        batch: Sequence[Any]
        async for batch in stream.take_events(batch_size, within=within_s):
            try:
                await handle([record_of(e) for e in batch])
            except Exception as exc:  # noqa: BLE001 - not input: stop the worker, lose nothing
                await on_error(exc)
                return

    return events
