"""The one `faust.App` of the live processor, and the consumer that starts from PostgreSQL.

Positions live in PostgreSQL, committed with the rows they produced; offsets
committed to Kafka are not trusted (Faust may commit them, they are ignored).
Faust seeks every assigned partition to "the committed offset" after each
rebalance (`Consumer.perform_seek`, at the end of recovery, just before the
fetcher resumes); `PositionedConsumer` answers that question from the
processor's stored positions instead of the group's offsets, so the seek Faust
itself performs, at the moment it performs it, lands on PostgreSQL's positions.
The pipeline also skips any record below its position (second line of
defence), so a redelivery after a rebalance is a no-op.

The same consumer hands the events topic over in batches: Faust's fetcher
task runs `Consumer._drain_messages`, which by default awaits one conductor
callback per message (≈140 µs of CPU each here, see faust_batches.py). For
the topic of `app.custodes_batches`, `PositionedConsumer` puts each fetch's
records into that buffer in one call instead, keeping the rules of Faust's
`getmany`: nothing while the flow is stopped (a rebalance; Faust then seeks
back), nothing of an older consumer generation, nothing below the read
offset, nothing of a partition that is no longer active; and, as the
events topic's offsets are contiguous, nothing that does not start at the
partition's next offset (the stored position after a seek, then last + 1):
such a fetch, made before the last seek, is dropped and the partition sought
back. Records of any other topic (none today) go to Faust's per-message
callback, without the rest of Faust's drain (no round-robin, no ack gap
tracking, no commit_every).

One worker owns every partition: the rule engine needs the global low
watermark (§5). A static group instance id lets a restarted worker (after
kill -9) take the partitions over at once instead of after the session
timeout. Scaling out would need the re-keying by case described in
docs/live.md.
"""
from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from processors.live.faust_batches import Batches
from processors.live.pipeline import Record

Positions = Callable[[], Mapping[tuple[str, int], int]]


class PositionedConsumer(faust_aiokafka.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The events topic's next offset per partition: the seek target (a stored
        # position), then last + 1 of each fetch handed over. A fetch that does not
        # start there is not handed over (see `_drain_once`).
        self.custodes_next: dict[TP, int] = {}
        self._custodes_flow_stopped = False  # the next seek follows a flow stop, not an assignment

    async def seek_to_committed(self) -> Mapping[TP, int]:
        positions: Positions = self.app.custodes_positions  # type: ignore[attr-defined]
        stored = dict(positions())
        assigned = sorted(self.assignment())
        missing = [tp for tp in assigned if (tp.topic, tp.partition) not in stored]
        earliest = await self.earliest_offsets(*missing) if missing else {}
        target = {tp: stored.get((tp.topic, tp.partition), earliest.get(tp, 0) or 0)
                  for tp in assigned}
        await self.seek_wait(target)
        # Handed over (to the buffer or the sink) but not stored: read again from Kafka.
        again = sum(max(0, n - target[tp]) for tp, n in self.custodes_next.items() if tp in target)
        # No stored position: the first record may be anywhere (retention moves the
        # log start), as in the pipeline; a stored one is where the next fetch starts.
        self.custodes_next = {tp: stored[(tp.topic, tp.partition)] for tp in assigned
                              if (tp.topic, tp.partition) in stored}
        verb = "sought (after a flow stop)" if self._custodes_flow_stopped else "assigned"
        self._custodes_flow_stopped = False
        self.app.custodes_log(  # type: ignore[attr-defined]
            f"{verb} " + ", ".join(f"{tp.topic}[{tp.partition}]@{o}"
                                   for tp, o in target.items()) + " (positions from PostgreSQL"
            + (f"; {again:,} records handed over, not yet stored, read again)" if again else ")"))
        return target

    async def _drain_messages(self, fetcher: Any) -> None:  # the fetcher's one task
        batches: Batches | None = self.app.custodes_batches  # type: ignore[attr-defined]
        if batches is None:
            return await super()._drain_messages(fetcher)
        consumer_stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                await self._drain_once(batches)
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise
        except Exception:
            self.log.exception("Drain messages raised")  # as Faust's own drain
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _drain_once(self, batches: Batches) -> None:
        """One fetch: the events topic's records into `batches`, as Faust's getmany would."""
        records, active = await self._wait_next_records(1.0)
        if records is None or self.should_stop:
            return
        if not self.flow_active:  # stopped during the fetch: Faust's getmany seeks back
            self._custodes_flow_stopped = True
            try:
                await self.perform_seek()
            except Exception as exc:  # noqa: BLE001 - as Faust: the rebalance seeks again
                self.log.warning(f"exception performing seek when flow not active {exc}")
            return
        if not records:
            return
        app = self.app
        generation = app.consumer_generation_id
        await app.flow_control.acquire()  # suspended while a rebalance is under way
        read_offset = self._read_offset
        for tp, recs in records.items():
            if not self.flow_active or app.consumer_generation_id != generation:
                return  # a rebalance came in between: its seek re-reads these
            if active is not None and tp not in active and tp not in self._buffered_partitions:
                continue
            r_offset = read_offset[tp]
            if r_offset is not None and recs and recs[0].offset < r_offset:
                recs = [r for r in recs if r.offset >= r_offset]
            if not recs:
                continue
            if tp.topic == batches.topic:
                expected = self.custodes_next.get(tp)
                if expected is not None and recs[0].offset != expected:
                    if recs[-1].offset < expected:
                        continue  # all already handed over (the pipeline would skip them)
                    if recs[0].offset < expected:
                        recs = [r for r in recs if r.offset >= expected]
                    if recs[0].offset > expected:  # a gap: a fetch from before the last seek
                        await self._seek_back(tp, expected, recs[0].offset)
                        continue
                batches.put([Record(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)
                             for r in recs])
                self.custodes_next[tp] = recs[-1].offset + 1
                read_offset[tp] = recs[-1].offset
                app.monitor.track_tp_end_offset(tp, self.highwater(tp))
            else:
                for r in recs:  # Faust's own path, one message at a time
                    await self.wait_first(self.callback(self._to_message(tp, r)),
                                          self.suspend_flow.wait())
                    read_offset[tp] = r.offset
        if not batches.has_space:  # back-pressure: the sink is behind
            await self.wait_first(batches.wait_space(), self.suspend_flow.wait())


    async def _seek_back(self, tp: TP, expected: int, got: int) -> None:
        """Drop a fetch that skips offsets (made before the last seek) and read again."""
        self.app.custodes_log(  # type: ignore[attr-defined]
            f"sought back {tp.topic}[{tp.partition}]@{expected}: a fetch started at {got} "
            "(made before the last seek); not handed over")
        await self.seek_wait({tp: expected})
        self._read_offset[tp] = expected


class PositionedTransport(faust_aiokafka.Transport):
    Consumer = PositionedConsumer


class ProcessorApp(faust.App):
    """faust.App whose consumer seeks to the positions stored in PostgreSQL."""

    custodes_positions: Positions
    custodes_log: Callable[[str], None]
    custodes_batches: Batches | None = None  # the events topic, handed over in batches

    def _new_transport(self) -> Any:
        return PositionedTransport(self.conf.broker_consumer, self)


def create_app(*, app_id: str, bootstrap: str, partitions: int, positions: Positions,
               log: Callable[[str], None], max_poll_records: int | None = None) -> ProcessorApp:
    """`max_poll_records`: at most this many records per fetch (the batch size), so that the
    buffer's back-pressure, checked after each fetch, bounds what waits (< 3 batches)."""
    app = ProcessorApp(
        app_id,
        broker=[f"kafka://{h.strip()}" for h in bootstrap.split(",") if h.strip()],
        store="memory://",
        # Faust creates `<datadir>/v1/tables` even with no table; by default in the
        # current directory (a repository root collected one per test app id). Faust
        # makes the directory without its parents: one level below the temp dir.
        datadir=str(Path(tempfile.gettempdir()) / f"{app_id}-data"),
        web_enabled=False,
        topic_partitions=partitions,
        topic_disable_leader=True,          # no assignor leader topic: one worker, no tables
        consumer_auto_offset_reset="earliest",
        consumer_group_instance_id=f"{app_id}-0",  # static member: one worker, fast take-over
        broker_commit_every=10_000_000,     # Kafka offsets are not trusted, no need to commit
        broker_commit_interval=3600.0,
        stream_wait_empty=False,            # stopping: the sink finishes the batch in hand
        autodiscover=False,
        broker_max_poll_records=max_poll_records,  # None: aiokafka's default, no limit
    )
    app.custodes_positions = positions
    app.custodes_log = log
    return app
