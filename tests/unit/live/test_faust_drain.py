"""Faust's consumer hands the events topic over one fetch at a time, under Faust's own rules.

`PositionedConsumer._drain_once` with the fetch replaced by canned records: the
records reach `Batches` without Faust's per-message callback; nothing is kept
from a fetch that a rebalance overtook (the seek to PostgreSQL's positions
re-reads it); nothing below the read offset; a fetch that does not start at
the partition's next offset (the stored position after a seek) is not handed
over, and is read again from there; a full buffer holds the fetcher.
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
        self.sought: list[dict[Any, int]] = []  # seek_wait calls
        self.log: list[str] = []
        self.app.custodes_log = self.log.append
        c = self.consumer
        c._wait_next_records = self._fetch  # type: ignore[method-assign]
        c.highwater = lambda tp: 1000  # type: ignore[method-assign]
        c.callback = self._callback
        c.perform_seek = self._seek  # type: ignore[method-assign]
        c.seek_wait = self._seek_wait  # type: ignore[method-assign]

    async def _seek_wait(self, target: dict[Any, int]) -> None:
        self.sought.append(dict(target))

    async def seek_to_postgresql(self, stored: dict[tuple[str, int], int]) -> None:
        """Faust's seek after an assignment, answered by `PositionedConsumer.seek_to_committed`."""
        tps = {self.tp(t, p) for t, p in stored}
        self.app.custodes_positions = lambda: stored  # type: ignore[assignment]
        self.consumer.assignment = lambda: tps  # type: ignore[method-assign]
        await PositionedConsumer.perform_seek(self.consumer)

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


async def _drained(h: Harness) -> list[int]:
    out: list[Record] = []
    while len(h.batches):
        out += await h.batches.take()
    return [r.offset for r in out]


def test_a_fetch_made_before_the_seek_to_postgresql_is_not_handed_over() -> None:
    """The reviewer's case: aiokafka fetched at Kafka's committed offset K before Faust's
    seek to the stored position S (first assignment, generation unchanged); the fetch
    returns after the seek. Handing it over would skip S..K-1."""
    S, K = 100, 500

    async def scenario() -> tuple[Harness, list[int]]:
        h = Harness([])
        tp = h.tp(TOPIC, 0)
        h.app.flow_control.suspend()  # a fresh app starts suspended
        h.app.consumer_generation_id = 1
        h.fetches.append({tp: kafka_records(TOPIC, 0, range(K, K + 10))})
        drain = asyncio.ensure_future(h.drain_once())
        await asyncio.sleep(0.05)
        assert not drain.done()  # waits in flow_control.acquire()
        await h.seek_to_postgresql({(TOPIC, 0): S})  # recovery: seek, then resume
        h.app.flow_control.resume()
        await drain
        h.fetches.append({tp: kafka_records(TOPIC, 0, range(S, S + 10))})  # after the seek
        await h.drain_once()
        return h, await _drained(h)

    h, got = run(scenario())
    assert got == list(range(S, S + 10))
    tp = h.tp(TOPIC, 0)
    assert h.sought == [{tp: S}, {tp: S}]  # the seek, then back to S for the stale fetch
    assert h.consumer._read_offset[tp] == S + 9
    assert any(m.startswith("sought back events[0]@100: a fetch started at 500") for m in h.log)


def test_a_fetch_overlapping_what_was_handed_over_is_trimmed_to_the_next_offset() -> None:
    async def scenario() -> tuple[Harness, list[int]]:
        h = Harness([])
        tp = h.tp(TOPIC, 0)
        await h.seek_to_postgresql({(TOPIC, 0): 10})
        h.fetches += [{tp: kafka_records(TOPIC, 0, range(10, 13))},
                      {tp: kafka_records(TOPIC, 0, range(12, 15))},  # 12 again
                      {tp: kafka_records(TOPIC, 0, range(5, 9))}]  # all handed over already
        for _ in range(3):
            await h.drain_once()
        return h, await _drained(h)

    h, got = run(scenario())
    assert got == [10, 11, 12, 13, 14]
    assert h.sought == [{h.tp(TOPIC, 0): 10}]  # no seek back: nothing was skipped


def test_a_gap_after_a_handed_over_fetch_seeks_back_to_the_next_offset() -> None:
    async def scenario() -> tuple[Harness, dict[Any, int], list[int]]:
        h = Harness([])
        tp0, tp1 = h.tp(TOPIC, 0), h.tp(TOPIC, 1)
        await h.seek_to_postgresql({(TOPIC, 0): 0, (TOPIC, 1): 0})
        h.fetches += [{tp0: kafka_records(TOPIC, 0, range(3)),
                       tp1: kafka_records(TOPIC, 1, range(2))},
                      {tp0: kafka_records(TOPIC, 0, range(5, 7)),  # 3, 4 missing
                       tp1: kafka_records(TOPIC, 1, range(2, 4))}]
        await h.drain_once()
        await h.drain_once()

        after_gap = dict(h.consumer.custodes_next)
        await h.seek_to_postgresql({(TOPIC, 0): 1, (TOPIC, 1): 0})  # a rebalance: stored ones
        return h, after_gap, await _drained(h)

    h, after_gap, got = run(scenario())
    assert got == [0, 1, 2, 0, 1, 2, 3]  # partition 1 goes on; partition 0 waits for 3
    assert h.sought[1] == {h.tp(TOPIC, 0): 3}
    assert after_gap == {h.tp(TOPIC, 0): 3, h.tp(TOPIC, 1): 4}
    assert h.log[-1].startswith("assigned events[0]@1, events[1]@0")
    assert h.log[-1].endswith("; 6 records handed over, not yet stored, read again)")


def test_a_partition_without_a_stored_position_starts_at_its_first_fetched_record() -> None:
    async def scenario() -> list[int]:
        h = Harness([])
        tp = h.tp(TOPIC, 0)

        async def earliest(*tps: Any) -> dict[Any, int]:
            return {t: 0 for t in tps}
        h.consumer.earliest_offsets = earliest  # type: ignore[method-assign]
        await h.seek_to_postgresql({})
        h.consumer.assignment = lambda: {tp}  # type: ignore[method-assign]
        await PositionedConsumer.perform_seek(h.consumer)  # seeks to the earliest, 0
        h.fetches.append({tp: kafka_records(TOPIC, 0, range(40, 42))})  # retention moved it
        await h.drain_once()
        return await _drained(h)

    assert run(scenario()) == [40, 41]


def test_the_fetch_size_is_the_batch_size() -> None:
    app = create_app(app_id="custodes-test", bootstrap="127.0.0.1:1", partitions=2,
                     positions=dict, log=lambda _m: None, max_poll_records=5000)
    assert app.conf.broker_max_poll_records == 5000
