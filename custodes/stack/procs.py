"""Detached service processes and their pid files.

Services outlive the `custodes stack up` that started them: they run in a new
session with every standard stream redirected, so no terminal or CI pipe is
held open by them.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def spawn_detached(argv: Sequence[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start `argv` in its own session, stdout/stderr appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc


def read_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in `pid_file` if that process is alive and its command line holds `marker`.

    The marker guards against a stale pid file whose number was reused.
    """
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if is_alive(pid, marker) else None


def is_alive(pid: int, marker: str = "") -> bool:
    """True when `pid` runs and its command line holds `marker`.

    A process in the middle of exec shows an empty command line for an instant
    (the kernel has not laid out its arguments yet): read again once.
    """
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if not cmdline:
            time.sleep(0.05)
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":  # a zombie has already exited
        return False
    return marker.encode() in cmdline


def reap(pid: int) -> None:
    """Collect the exit status of our own child, if it is one, so it is not left a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def terminate(pid: int, marker: str, timeout: float) -> bool:
    """SIGTERM, wait up to `timeout` seconds, then SIGKILL. True when it stopped cleanly."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap(pid)
        if not is_alive(pid, marker):
            return True
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    reap(pid)
    return False


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, or a note that it does not exist."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
