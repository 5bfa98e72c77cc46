"""The live processor's store thread: in order, never more than `depth` waiting, failures surface."""
from __future__ import annotations

import threading
import time

import pytest

from processors.live.writer import StoreThread


def test_jobs_run_in_submission_order_and_drain_waits_for_all() -> None:
    done: list[int] = []
    writer = StoreThread()
    for i in range(50):
        writer.submit(lambda i=i: (time.sleep(0.001), done.append(i)))
    writer.drain()
    assert done == list(range(50))
    assert not writer.busy
    writer.close()


def test_submit_blocks_while_a_job_is_already_waiting() -> None:
    release = threading.Event()
    writer = StoreThread(depth=1)
    writer.submit(release.wait)      # being written
    writer.submit(lambda: None)      # waiting: the queue is full now
    third = threading.Thread(target=writer.submit, args=(lambda: None,))
    third.start()
    third.join(timeout=0.3)
    assert third.is_alive(), "a third batch was accepted while two were in flight"
    release.set()
    third.join(timeout=5)
    assert not third.is_alive()
    writer.drain()
    writer.close()


def test_a_failure_stops_writing_and_is_raised_to_the_computing_thread() -> None:
    done: list[str] = []
    writer = StoreThread()

    def fail() -> None:
        raise RuntimeError("fenced")

    writer.submit(fail)
    with pytest.raises(RuntimeError, match="fenced"):
        writer.drain()
    with pytest.raises(RuntimeError, match="fenced"):
        writer.submit(lambda: done.append("later"))
    with pytest.raises(RuntimeError, match="fenced"):
        writer.check()
    writer.close()
    assert done == []  # nothing after the failed batch was written


def test_jobs_queued_behind_a_failure_are_not_run() -> None:
    release = threading.Event()
    done: list[str] = []
    writer = StoreThread()

    def fail() -> None:
        release.wait()
        raise RuntimeError("lost connection for good")

    writer.submit(fail)
    writer.submit(lambda: done.append("next batch"))  # accepted before the failure happened
    release.set()
    with pytest.raises(RuntimeError):
        writer.drain()
    writer.close()
    assert done == []
