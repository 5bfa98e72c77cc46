"""The buffer between Faust's consumer and the sink: whole batches at once, partial ones on time,
order kept, emptied by flow control, and full means the consumer waits."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from mode.utils.queues import FlowControlEvent

from processors.live.faust_batches import Batches
from processors.live.pipeline import Record

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 10))


def recs(partition: int, offsets: range) -> list[Record]:
    return [Record("t", partition, o, b"k", b"v%d" % o, 1000 + o) for o in offsets]


def coords(records: list[Record]) -> list[tuple[int, int]]:
    return [(r.partition, r.offset) for r in records]


def test_a_full_batch_is_taken_at_once_in_arrival_order_and_the_rest_stays() -> None:
    async def scenario() -> tuple[list[Record], float, int]:
        batches = Batches("t", max_size=5, within_s=30.0)
        batches.put(recs(0, range(3)))
        batches.put(recs(1, range(4)))
        t0 = time.monotonic()
        first = await batches.take()
        return first, time.monotonic() - t0, len(batches)

    first, waited, left = run(scenario())
    assert waited < 1.0, "a full batch waited for within_s"
    assert coords(first) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    assert left == 2


def test_fewer_records_are_taken_after_within_s_and_none_is_an_empty_batch() -> None:
    async def scenario() -> tuple[list[Record], float, list[Record]]:
        batches = Batches("t", max_size=5, within_s=0.2)
        batches.put(recs(0, range(7)))
        await batches.take()
        t0 = time.monotonic()
        rest = await batches.take()
        waited = time.monotonic() - t0
        return rest, waited, await batches.take()

    rest, waited, nothing = run(scenario())
    assert coords(rest) == [(0, 5), (0, 6)]
    assert 0.15 <= waited < 2.0
    assert nothing == []


def test_a_batch_that_fills_while_waiting_is_taken_then() -> None:
    async def scenario() -> tuple[list[Record], float]:
        batches = Batches("t", max_size=4, within_s=30.0)
        batches.put(recs(0, range(2)))
        asyncio.get_running_loop().call_later(0.05, batches.put, recs(1, range(3)))
        t0 = time.monotonic()
        got = await batches.take()
        return got, time.monotonic() - t0

    got, waited = run(scenario())
    assert coords(got) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert waited < 1.0


def test_high_water_closes_and_taking_reopens_the_space() -> None:
    async def scenario() -> list[bool]:
        batches = Batches("t", max_size=3, within_s=0.01, high_water=5)
        seen = [batches.has_space]
        batches.put(recs(0, range(5)))
        seen.append(batches.has_space)
        waiter = asyncio.ensure_future(batches.wait_space())
        await asyncio.sleep(0.01)
        seen.append(waiter.done())
        await batches.take()
        await asyncio.sleep(0)
        seen += [batches.has_space, waiter.done()]
        return seen

    assert run(scenario()) == [True, False, False, True, True]


def test_flow_control_clears_what_waits() -> None:
    """At a rebalance Faust clears the queues it manages; the seek then re-reads."""
    async def scenario() -> tuple[int, bool, list[Record]]:
        flow = FlowControlEvent(initially_suspended=False)
        batches = Batches("t", max_size=2, within_s=0.01, high_water=2)
        flow.manage_queue(batches)  # type: ignore[arg-type]
        batches.put(recs(0, range(3)))
        flow.suspend()
        flow.clear()
        return len(batches), batches.has_space, await batches.take()

    assert run(scenario()) == (0, True, [])
