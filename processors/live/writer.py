"""The store thread: batches are written while the next one is being computed.

A batch's transaction is mostly PostgreSQL's own work (COPY into an indexed
archive, upserts, the commit's WAL flush). Done in line, the pipeline would
wait for it; on a second core it overlaps with decoding and the rule core of
the next batch. Guarantees are unchanged: ONE thread writes, in the order the
batches were computed, each batch in one transaction with its positions (so
the position check of `store.batch.write_batch` still chains batch N+1 to
batch N), and a batch is never dropped: `submit` blocks while `depth`
batches are waiting, and the first failure (a fenced processor, a bug) is
raised to the computing thread by the next `submit`/`check`/`drain`, which
stops the runner. Everything that touches the database after start-up (store,
outbox, the bench hook) runs in this thread.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable

_STOP = object()


class StoreThread:
    def __init__(self, name: str = "custodes-store", depth: int = 1) -> None:
        self._jobs: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            try:
                if self._error is None:  # after a failure nothing more is written
                    job()  # type: ignore[operator]
            except BaseException as exc:  # noqa: BLE001 - handed to the computing thread
                self._error = exc
            finally:
                with self._lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def check(self) -> None:
        """Raise the first failure of the store thread, if any (it then writes nothing more)."""
        if self._error is not None:
            raise self._error

    def submit(self, job: Callable[[], None]) -> None:
        """Queue `job` (blocks while the queue is full); raises an earlier failure first."""
        self.check()
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._jobs.put(job)

    @property
    def busy(self) -> bool:
        return not self._idle.is_set()

    def drain(self) -> None:
        """Wait until everything submitted is done; raise a failure."""
        self._idle.wait()
        self.check()

    def close(self) -> None:
        """Finish what was submitted, then stop the thread (a failure is not raised here)."""
        self._idle.wait()
        self._jobs.put(_STOP)
        self._thread.join()
