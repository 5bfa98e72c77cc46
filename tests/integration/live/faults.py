"""What the fault tests share: a processor that can be killed and restarted, waiting on
the archive, and the checks that must hold once it has caught up."""
from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tests.integration.live.helpers import query, replay_findings, stored_findings


class Processor:
    """`custodes process` as a subprocess; every start appends to the same log."""

    def __init__(self, cmd: list[str], log: IO[bytes]) -> None:
        self.cmd, self.log = cmd, log
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.cmd, stdout=self.log, stderr=self.log)

    def kill_9(self) -> None:
        """SIGKILL: no chance to finish the batch in hand."""
        self.proc.kill()
        self.proc.wait()

    def restart(self) -> None:
        self.proc = self._start()


@contextmanager
def processor_running(cmd: list[str], logfile: Path) -> Iterator[Processor]:
    """A `Processor`, stopped with SIGTERM at the end, which it must answer with status 0."""
    log = open(logfile, "ab")  # noqa: SIM115 - shared by every start, closed below
    processor = Processor(cmd, log)
    try:
        yield processor
    finally:
        processor.proc.send_signal(signal.SIGTERM)
        code = processor.proc.wait(timeout=60)
        log.close()
    assert code == 0, logfile.read_text()[-3000:]


def archived_count(url: str) -> int:
    for _ in range(60):
        try:
            return int(query(url, "SELECT count(*) FROM archive_events")[0][0])
        except Exception:  # noqa: BLE001 - the database may be restarting
            time.sleep(0.5)
    raise AssertionError("database did not come back")


def wait_archived(url: str, at_least: int, processor: Processor, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while archived_count(url) < at_least:
        assert processor.proc.poll() is None, "the processor died"
        assert time.monotonic() < deadline, f"fewer than {at_least} events archived in time"
        time.sleep(0.2)


def projection_recounts(url: str) -> dict[str, Any]:
    """Each projection's totals, and the same totals counted from the archive."""
    def one(sql: str) -> Any:
        return query(url, sql)[0][0]

    arch = "SELECT count(*) FROM archive_events_json WHERE disposition = 'accepted' AND "
    return {
        "queries": (one("SELECT sum(queries) FROM exchange_volumes"),
                    one(arch + "type = 'ebsp.query.submitted.v1'")),
        "transfers": (one("SELECT sum(transfers) FROM exchange_volumes"),
                      one(arch + "type = 'ebsp.transfer.sent.v1'")),
        "hits": (one("SELECT sum(hits) FROM exchange_volumes"),
                 one("SELECT count(DISTINCT a.event->'data'->>'query_id') FROM "
                     "archive_events_json a JOIN archive_events_json q ON "
                     "q.type = 'ebsp.query.submitted.v1' AND "
                     "q.event->'data'->>'query_id' = a.event->'data'->>'query_id' "
                     "WHERE a.type = 'ebsp.query.answered.v1' AND "
                     "a.event->'data'->>'result' = 'hit'")),
        "reciprocity": (one("SELECT sum(a + b) FROM reciprocity"),
                        one(arch + "type = 'ebsp.transfer.sent.v1' AND "
                            "(event->'data'->>'sender' = 'US') <> "
                            "(event->'data'->>'recipient' = 'US')")),
        "decisions": (one("SELECT sum(decisions) FROM review_compliance"),
                      one(arch + "type = 'ebsp.decision.recorded.v1'")),
        "node events": (one("SELECT sum(events) FROM node_health"),
                        one("SELECT count(*) FROM archive_events WHERE disposition = 'accepted'")),
        "clocks": (one("SELECT count(*) FROM retention_clocks WHERE sent_at IS NOT NULL"),
                   one(arch + "type = 'ebsp.transfer.sent.v1'")),
        "ingest_no contiguous": (one("SELECT max(ingest_no) FROM archive_events"),
                                 one("SELECT count(*) FROM archive_events")),
    }


def assert_nothing_lost_or_doubled(url: str, sim: Any, tmp_path: Path) -> None:
    """Every event of the simulated month archived once, every projection equal to its
    recount from the archive, the findings equal to the replay's, one gapless platform
    chain across the restarts and no finding emitted twice."""
    n = len(sim.lines)
    assert archived_count(url) == n
    assert query(url, "SELECT count(DISTINCT (source, id)) FROM archive_events")[0][0] == n
    for name, (projected, recounted) in projection_recounts(url).items():
        assert projected == recounted, name
    live = stored_findings(url)
    replayed = replay_findings(sim.events, tmp_path / "replay.jsonl", trust=sim.trust,
                               horizon=sim.horizon)
    assert live == replayed
    chain = query(url, "SELECT count(*), max(seq) FROM platform_events")[0]
    raised = query(url, "SELECT count(*), count(DISTINCT finding_id) FROM "
                        "platform_events WHERE type = 'ebsp.finding.raised.v1'")[0]
    assert chain[0] == chain[1]  # one gapless chain across the restarts
    assert raised[0] == raised[1] == len(live)  # no finding emitted twice
