"""After a batch failed half-way, nothing more is processed or stored (ticks included)."""
from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest

from processors.live.faust_runner import FaustRunner
from processors.live.pipeline import Record
from processors.live.runner import RunnerConfig
from store.batch import Batch


class Pipeline:
    """Fails on its first batch, as `Pipeline.process` raising mid-batch."""

    def __init__(self) -> None:
        self.calls: list[list[Record]] = []

    def process(self, records: list[Record]) -> Batch:
        self.calls.append(records)
        if len(self.calls) == 1:
            raise RuntimeError("mid-batch")
        batch = Batch(consumer="t")
        batch.records = len(records)
        return batch


class Writer:
    busy = False

    def __init__(self) -> None:
        self.submitted: list[Any] = []

    def check(self) -> None:
        pass

    def submit(self, job: Any) -> None:
        self.submitted.append(job)


class Progress:
    def tick(self, pipeline: Any, force: bool = False) -> None:
        pass


class Worker:
    stopped = 0

    async def stop(self) -> None:
        self.stopped += 1


def runner() -> FaustRunner:
    cfg = RunnerConfig(bootstrap="127.0.0.1:1", database_url="", events_topic="e",
                       findings_topic="f", quarantine_topic="q", policy=None, trust=None)
    r = FaustRunner(cfg, lambda _m: None)
    r.pipeline = Pipeline()  # type: ignore[assignment]
    r.writer = Writer()  # type: ignore[assignment]
    r.progress = Progress()  # type: ignore[assignment]
    r.worker = Worker()  # type: ignore[assignment]
    r._stopping = None
    r.idle_since = 0.0
    return r


def test_a_tick_after_a_failed_batch_processes_and_stores_nothing() -> None:
    r = runner()
    records = [Record("e", 0, 0, None, b"x")]

    async def scenario() -> None:
        r.executor = concurrent.futures.ThreadPoolExecutor(1)
        try:
            with pytest.raises(RuntimeError, match="mid-batch"):
                await r.handle(records)
            await r._crash(RuntimeError("mid-batch"))  # what the events task does
            await r.tick()
            await asyncio.sleep(0)
        finally:
            r.executor.shutdown()

    asyncio.run(scenario())
    assert r.pipeline.calls == [records]  # type: ignore[attr-defined]
    assert r.writer.submitted == []  # type: ignore[attr-defined]
    assert r.crashed is not None and "mid-batch" in str(r.crashed)


def test_a_tick_queued_in_the_sink_behind_the_failed_batch_does_nothing() -> None:
    """The sink's thread runs the queued tick before the event loop hears of the failure."""
    r = runner()
    records = [Record("e", 0, 0, None, b"x")]
    with pytest.raises(RuntimeError, match="mid-batch"):
        r._batch(records)
    assert r._tick() is False
    with pytest.raises(RuntimeError, match="sink stopped"):
        r._batch([Record("e", 0, 1, None, b"y")])
    assert r.pipeline.calls == [records]  # type: ignore[attr-defined]
    assert r.writer.submitted == []  # type: ignore[attr-defined]
