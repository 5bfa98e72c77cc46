"""The local Kafka broker: start it detached, wait until it answers, stop it."""
from __future__ import annotations

import time
from collections.abc import Callable

from custodes.stack import kafka_files, procs
from custodes.stack.errors import StackError
from custodes.stack.kafka_admin import ensure_topics, kafka_answers
from custodes.stack.layout import (
    HOST,
    KAFKA_BOOTSTRAP,
    KAFKA_CONTROLLER_PORT,
    KAFKA_PORT,
    TOPICS,
    Layout,
)
from custodes.stack.ports import PortTaken, ensure_port_free, port_is_free
from custodes.stack.progress import Progress
from custodes.stack.service import ServiceStatus

NAME = "kafka"


def _marker(layout: Layout) -> str:
    """Our broker's command line names this checkout's config file: nothing else's does."""
    return str(layout.kafka / "server.properties")


def running_pid(layout: Layout) -> int | None:
    return procs.read_pid(layout.kafka_pid, _marker(layout))


def up(layout: Layout, progress: Progress, timeout_s: float = 90.0) -> None:
    pid = running_pid(layout)
    if pid is not None:
        progress.say(NAME, f"already running (pid {pid}), checking that it answers")
        _wait_ready(layout, progress, lambda: procs.is_alive(pid, _marker(layout)), timeout_s)
    elif not port_is_free(HOST, KAFKA_PORT):
        if not kafka_answers(KAFKA_BOOTSTRAP, timeout_s=5.0):
            raise PortTaken(f"{HOST}:{KAFKA_PORT} is in use but no Kafka broker answers there. "
                            f"Find the program with `ss -ltnp 'sport = :{KAFKA_PORT}'`.")
        progress.say(NAME, f"already running on {KAFKA_BOOTSTRAP} (not started from this "
                           "checkout: another checkout's stack); using it")
    else:
        _cold_start(layout, progress, timeout_s)
    created = ensure_topics(KAFKA_BOOTSTRAP, TOPICS)
    progress.say(NAME, f"topics ready: {', '.join(TOPICS)}"
                       + (f" (created {', '.join(created)})" if created else ""))


def _cold_start(layout: Layout, progress: Progress, timeout_s: float) -> None:
    ensure_port_free(HOST, KAFKA_CONTROLLER_PORT, "the Kafka controller")
    if kafka_files.jars_ready(layout):
        progress.say(NAME, f"jars cached in {layout.kafka_libs}")
    else:
        progress.say(NAME, f"fetching broker jars with Maven into {layout.kafka_libs}")
        count = kafka_files.fetch_jars(layout)
        progress.say(NAME, f"{count} jars fetched")
    props = kafka_files.server_properties(layout)
    if not kafka_files.storage_formatted(layout):
        cluster_id = kafka_files.format_storage(layout, props)
        progress.say(NAME, f"storage formatted in {layout.kafka_data} (cluster {cluster_id})")
    started = time.monotonic()
    proc = procs.spawn_detached(
        kafka_files.jvm_command(layout, "kafka.Kafka", str(props)),
        log=layout.kafka_logs / "stdout.log",
        cwd=layout.root,
    )
    layout.kafka_pid.write_text(f"{proc.pid}\n")
    progress.say(NAME, f"started pid {proc.pid}, waiting for it to answer on {KAFKA_BOOTSTRAP} "
                       f"(at most {timeout_s:.0f} s)")
    try:
        _wait_ready(layout, progress, lambda: proc.poll() is None, timeout_s)
    except StackError:
        if proc.poll() is None:  # started here and still not answering: do not leave it behind
            procs.terminate(proc.pid, _marker(layout), timeout=10)
        layout.kafka_pid.unlink(missing_ok=True)
        raise
    progress.say(NAME, f"ready on {KAFKA_BOOTSTRAP}: cold start took "
                       f"{time.monotonic() - started:.1f} s")


def _wait_ready(layout: Layout, progress: Progress, alive: Callable[[], bool],
                timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    next_note = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not alive():
            raise StackError(f"Kafka exited while starting.\n{_log_tails(layout)}")
        if kafka_answers(KAFKA_BOOTSTRAP, timeout_s=2.0):
            return
        if time.monotonic() >= next_note:
            progress.say(NAME, "still waiting for the broker to answer")
            next_note += 10
        time.sleep(0.5)
    raise StackError(f"Kafka did not answer on {KAFKA_BOOTSTRAP} within {timeout_s:.0f} s."
                     f"\n{_log_tails(layout)}")


def _log_tails(layout: Layout) -> str:
    return "\n".join(
        f"--- last lines of {log} ---\n{procs.tail(log)}"
        for log in (layout.kafka_logs / "server.log", layout.kafka_logs / "stdout.log")
    )


def down(layout: Layout, progress: Progress) -> None:
    pid = running_pid(layout)
    if pid is None:
        layout.kafka_pid.unlink(missing_ok=True)
        if kafka_answers(KAFKA_BOOTSTRAP, timeout_s=2.0):
            progress.say(NAME, f"running on {KAFKA_BOOTSTRAP} but not started from this "
                               "checkout: left running")
        else:
            progress.say(NAME, "not running")
        return
    progress.say(NAME, f"stopping pid {pid}")
    clean = procs.terminate(pid, _marker(layout), timeout=60)
    layout.kafka_pid.unlink(missing_ok=True)
    progress.say(NAME, "stopped" if clean else "did not stop within 60 s: killed")


def status(layout: Layout) -> ServiceStatus:
    return ServiceStatus(
        name=NAME,
        address=f"{KAFKA_BOOTSTRAP} (controller {HOST}:{KAFKA_CONTROLLER_PORT})",
        answering=kafka_answers(KAFKA_BOOTSTRAP, timeout_s=3.0),
        pid=running_pid(layout),
        data_dir=layout.kafka_data,
        log=layout.kafka_logs / "server.log",
    )
