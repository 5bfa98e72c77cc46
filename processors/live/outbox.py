"""Publishing what a batch stored: findings to ebsp.findings.v1, quarantine to ebsp.quarantine.v1.

The rows are committed first (with the positions); publishing follows and
records how far it got in `outbox_positions`. A crash in between republishes
the same platform events (same source, id and bytes): consumers ignore exact
duplicates (§7), so nothing is lost and nothing contradicts. A broker that is
down only delays publishing: a send the broker did not acknowledge raises
before anything is marked, and the next call picks up where it stopped.
"""
from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row

from custodes.wire import HEADERS, PLATFORM_KEY
from store.quarantine import quarantine_message

LIMIT = 5000


class Outbox:
    def __init__(self, conn: Any, producer: Any, findings_topic: str, quarantine_topic: str):
        self.conn, self.producer = conn, producer
        self.findings_topic, self.quarantine_topic = findings_topic, quarantine_topic
        self.published = 0

    def _through(self, name: str) -> int:
        with self.conn.cursor() as cur:
            cur.execute("SELECT published_through FROM outbox_positions WHERE name = %s", (name,))
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def _mark(self, name: str, through: int) -> None:
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute("INSERT INTO outbox_positions (name, published_through) VALUES (%s, %s) "
                        "ON CONFLICT (name) DO UPDATE SET published_through = "
                        "GREATEST(outbox_positions.published_through, excluded.published_through)",
                        (name, through))

    def _deliver(self, futures: list[Any]) -> None:
        """Wait until every send is acknowledged; raise if any is not.

        kafka-python's `flush()` returns once the requests are done, also when
        they failed (a broker away for longer than the retries), so each
        future is asked for its outcome: nothing is marked published that the
        broker did not acknowledge.
        """
        self.producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=0)  # raises the send's error (or a timeout if still pending)

    def publish(self) -> int:
        """Send everything stored but not yet published; returns how many messages were sent."""
        sent = 0
        while True:
            through = self._through("findings")
            with self.conn.cursor() as cur:
                cur.execute("SELECT seq, canonical FROM platform_events WHERE seq > %s "
                            "ORDER BY seq LIMIT %s", (through, LIMIT))
                rows = cur.fetchall()
            self.conn.commit()
            if not rows:
                break
            self._deliver([self.producer.send(self.findings_topic, key=PLATFORM_KEY,
                                              value=bytes(canonical), headers=HEADERS)
                           for _seq, canonical in rows])
            self._mark("findings", int(rows[-1][0]))
            sent += len(rows)
        while True:
            through = self._through("quarantine")
            with self.conn.cursor(row_factory=dict_row) as cur:
                cur.execute("SELECT * FROM quarantine WHERE id > %s ORDER BY id LIMIT %s",
                            (through, LIMIT))
                qrows = cur.fetchall()
            self.conn.commit()
            if not qrows:
                break
            self._deliver([self.producer.send(
                self.quarantine_topic, key=row["source"].encode() if row["source"] else None,
                value=quarantine_message(row)) for row in qrows])
            self._mark("quarantine", int(qrows[-1]["id"]))
            sent += len(qrows)
        self.published += sent
        return sent
