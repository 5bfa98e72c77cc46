"""Faust's consumer hands the events topic over one fetch at a time, under Faust's own rules.

`PositionedConsumer._drain_once` with the fetch replaced by canned records: the
records reach `Batches` without Faust's per-message callback; nothing is kept
from a fetch that a rebalance overtook (the seek to PostgreSQL's positions
re-reads it); nothing below the read offset; a full buffer holds the fetcher.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aiokafka.structs import ConsumerRecord

from processors.live.faust_app import PositionedConsumer, ProcessorApp, create_app
from processors.live.faust_batches import Batches
from processors.live.pipeline import Record

T = TypeVar("T")
TOPIC = "events"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 10))


def kafka_records(topic: str, partition: int, offsets: range) -> list[ConsumerRecord[bytes, bytes]]:
    return [ConsumerRecord(topic, partition, o, 1_700_000_000_000 + o, 0, b"NL", b"{%d}" % o,
                           None, 2, 3, ()) for o in offsets]


class Harness:
    """A real app and consumer (never started) whose fetch returns what the test gives."""

    def __init__(self, fetches: list[dict[Any, list[Any]]], *, max_size: int = 100,
                 high_water: int | None = None) -> None:
        self.app: ProcessorApp = create_app(app_id="custodes-test", bootstrap="127.0.0.1:1",
                                            partitions=2, positions=dict, log=lambda _m: None)
        self.consumer: PositionedConsumer = self.app.consumer  # type: ignore[assignment]
        self.batches = Batches(TOPIC, max_size, 0.01, high_water)
        self.app.custodes_batches = self.batches
        self.app.flow_control.manage_queue(self.batches)  # type: ignore[arg-type]
        self.app.flow_control.resume()
        self.fetches = fetches
        self.during_fetch: Callable[[], None] = lambda: None
        self.callbacks: list[Any] = []
        self.seeks = 0
        c = self.consumer
        c._wait_next_records = self._fetch  # type: ignore[method-assign]
        c.highwater = lambda tp: 1000  # type: ignore[method-assign]
        c.callback = self._callback
        c.perform_seek = self._seek  # type: ignore[method-assign]

    def tp(self, topic: str, partition: int) -> Any:
        return self.consumer._new_topicpartition(topic, partition)

    async def _fetch(self, timeout: float) -> tuple[dict[Any, list[Any]], set[Any]]:
        self.during_fetch()
        records = self.fetches.pop(0)
        return records, set(records)

    async def _callback(self, message: Any) -> None:
        self.callbacks.append((message.topic, message.partition, message.offset))

    async def _seek(self) -> None:
        self.seeks += 1

    async def drain_once(self) -> None:
        await self.consumer._drain_once(self.batches)


def test_a_fetch_reaches_the_batches_whole_without_fausts_per_message_callback() -> None:
    async def scenario() -> tuple[Harness, list[Record]]:
        h = Harness([])
        h.fetches.append({h.tp(TOPIC, 0): kafka_records(TOPIC, 0, range(3)),
                          h.tp(TOPIC, 1): kafka_records(TOPIC, 1, range(7, 9))})
        await h.drain_once()
        return h, await h.batches.take()

    h, got = run(scenario())
    assert got[0] == Record(TOPIC, 0, 0, b"NL", b"{0}", 1_700_000_000_000)
    assert [(r.partition, r.offset) for r in got] == [(0, 0), (0, 1), (0, 2), (1, 7), (1, 8)]
    assert h.callbacks == []
    assert h.consumer._read_offset[h.tp(TOPIC, 0)] == 2
    assert h.consumer._read_offset[h.tp(TOPIC, 1)] == 8


def test_records_below_the_read_offset_are_not_handed_over_again() -> None:
    async def scenario() -> list[Record]:
        h = Harness([])
        tp = h.tp(TOPIC, 0)
        h.consumer._read_offset[tp] = 5  # where Faust's seek put it
        h.fetches.append({tp: kafka_records(TOPIC, 0, range(3, 8))})
        await h.drain_once()
        return await h.batches.take()

    assert [r.offset for r in run(scenario())] == [5, 6, 7]


def test_a_fetch_overtaken_by_a_rebalance_is_dropped() -> None:
    """Fetched in generation 1, flow suspended before it was handed over, resumed in 2."""
    async def scenario() -> tuple[int, int]:
        h = Harness([])
        h.fetches.append({h.tp(TOPIC, 0): kafka_records(TOPIC, 0, range(3))})
        h.app.consumer_generation_id = 1

        def rebalance_starts() -> None:
            h.app.flow_control.suspend()
        h.during_fetch = rebalance_starts
        drain = asyncio.ensure_future(h.drain_once())
        await asyncio.sleep(0.05)
        blocked = not drain.done()
        h.app.consumer_generation_id = 2  # assigned again, sought to PostgreSQL's positions
        h.app.flow_control.resume()
        await drain
        return int(blocked), len(h.batches)

    assert run(scenario()) == (1, 0)


def test_a_fetch_returning_after_the_flow_stopped_seeks_back_and_hands_nothing_over() -> None:
    async def scenario() -> tuple[int, int]:
        h = Harness([])
        h.fetches.append({h.tp(TOPIC, 0): kafka_records(TOPIC, 0, range(3))})
        h.during_fetch = h.consumer.stop_flow
        await h.drain_once()
        return h.seeks, len(h.batches)

    assert run(scenario()) == (1, 0)


def test_a_partition_no_longer_active_is_skipped() -> None:
    async def scenario() -> list[Record]:
        h = Harness([])
        tp0, tp1 = h.tp(TOPIC, 0), h.tp(TOPIC, 1)
        h.fetches.append({tp0: kafka_records(TOPIC, 0, range(2)),
                          tp1: kafka_records(TOPIC, 1, range(2))})

        async def fetch(timeout: float) -> tuple[dict[Any, list[Any]], set[Any]]:
            return h.fetches.pop(0), {tp1}  # tp0 paused while the fetch was under way
        h.consumer._wait_next_records = fetch  # type: ignore[method-assign]
        await h.drain_once()
        return await h.batches.take()

    assert {r.partition for r in run(scenario())} == {1}


def test_other_topics_still_go_through_fausts_callback() -> None:
    async def scenario() -> tuple[list[Any], int]:
        h = Harness([])
        h.fetches.append({h.tp("other", 0): kafka_records("other", 0, range(2))})
        await h.drain_once()
        return h.callbacks, len(h.batches)

    assert run(scenario()) == ([("other", 0, 0), ("other", 0, 1)], 0)


def test_a_full_buffer_holds_the_fetcher_until_the_sink_takes_a_batch() -> None:
    async def scenario() -> tuple[bool, bool, int]:
        h = Harness([], max_size=2, high_water=3)
        h.fetches.append({h.tp(TOPIC, 0): kafka_records(TOPIC, 0, range(4))})
        drain = asyncio.ensure_future(h.drain_once())
        await asyncio.sleep(0.05)
        held = not drain.done()
        taken = await h.batches.take()
        await asyncio.wait_for(drain, 1)
        return held, drain.done(), len(taken)

    assert run(scenario()) == (True, True, 2)
