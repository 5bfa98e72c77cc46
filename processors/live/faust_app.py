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

One worker owns every partition: the rule engine needs the global low
watermark (§5). A static group instance id lets a restarted worker (after
kill -9) take the partitions over at once instead of after the session
timeout. Scaling out would need the re-keying by case described in
docs/live.md.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

Positions = Callable[[], Mapping[tuple[str, int], int]]


class PositionedConsumer(faust_aiokafka.Consumer):
    async def seek_to_committed(self) -> Mapping[TP, int]:
        positions: Positions = self.app.custodes_positions  # type: ignore[attr-defined]
        stored = dict(positions())
        assigned = sorted(self.assignment())
        missing = [tp for tp in assigned if (tp.topic, tp.partition) not in stored]
        earliest = await self.earliest_offsets(*missing) if missing else {}
        target = {tp: stored.get((tp.topic, tp.partition), earliest.get(tp, 0) or 0)
                  for tp in assigned}
        await self.seek_wait(target)
        self.app.custodes_log(  # type: ignore[attr-defined]
            "assigned " + ", ".join(f"{tp.topic}[{tp.partition}]@{o}"
                                    for tp, o in target.items()) + " (positions from PostgreSQL)")
        return target


class PositionedTransport(faust_aiokafka.Transport):
    Consumer = PositionedConsumer


class ProcessorApp(faust.App):
    """faust.App whose consumer seeks to the positions stored in PostgreSQL."""

    custodes_positions: Positions
    custodes_log: Callable[[str], None]

    def _new_transport(self) -> Any:
        return PositionedTransport(self.conf.broker_consumer, self)


def create_app(*, app_id: str, bootstrap: str, partitions: int, positions: Positions,
               log: Callable[[str], None]) -> ProcessorApp:
    app = ProcessorApp(
        app_id,
        broker=[f"kafka://{h.strip()}" for h in bootstrap.split(",") if h.strip()],
        store="memory://",
        web_enabled=False,
        topic_partitions=partitions,
        topic_disable_leader=True,          # no assignor leader topic: one worker, no tables
        consumer_auto_offset_reset="earliest",
        consumer_group_instance_id=f"{app_id}-0",  # static member: one worker, fast take-over
        broker_commit_every=10_000_000,     # Kafka offsets are not trusted, no need to commit
        broker_commit_interval=3600.0,
        stream_wait_empty=False,            # stopping: the sink finishes the batch in hand
        autodiscover=False,
    )
    app.custodes_positions = positions
    app.custodes_log = log
    return app
