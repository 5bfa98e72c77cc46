"""Chaining, hashing, signing and sending in worker processes (`--workers N`).

The simulation itself stays in one process: one random generator drives
every node, and cross-node steps (a US query answered by DE, the reciprocity
ledger, officer rosters) draw from it in global time order, so it cannot be
split by node without changing the output. What follows generation is a pure
function of each node's (type, data, time) sequence: seq, prevhash, hash, id,
canonical bytes, the Ed25519 checkpoint signatures and the Kafka send. The
`WorkerPool` routes each node's events, in order, to the worker that owns
the node (nodes split by expected cost), in pickled batches over a pipe; a
full pipe blocks the generator (back-pressure all the way from the broker).

Each worker has its own sink (one Kafka producer per process; key = party, so
each node's events stay in order within its partition). For a file, each
worker writes a part and `close()` merges the parts in the generator's global
order, so the file is byte-identical to the in-process run. The loop reads
the chain counters it decides with (seq, checkpoints due) from `heads`, a
shadow of each chain kept in this process. At the end the workers return
their chain states, which replace `chains` for saving.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from custodes.signing import NodeChain
from producers.sinks import Sink

BATCH = 512            # events per message to a worker
LINGER_S = 0.05        # a batch waits at most this long in the generator, and the sink's in a worker
# Relative CPU cost of an event and of a signed checkpoint, for splitting nodes.
EVENT_COST, CHECKPOINT_COST = 1.0, 3.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # the generator's: it stops the run cleanly


class WorkerError(RuntimeError):
    """A worker process failed (its sink, or it died): the run stops unsaved."""


@dataclass(slots=True)
class Head:
    """What the loop needs of a node's chain, kept in the generating process."""

    source: str
    seq: int
    since_checkpoint: int
    last_checkpoint_ms: int | None

    @classmethod
    def of(cls, chain: NodeChain) -> Head:
        return cls(chain.source, chain.seq, chain.since_checkpoint, chain.last_checkpoint_ms)


def split(costs: Mapping[str, float], workers: int) -> list[tuple[str, ...]]:
    """Nodes into at most `workers` groups of similar cost (largest first; deterministic)."""
    groups: list[list[str]] = [[] for _ in range(max(1, min(workers, len(costs))))]
    load = [0.0] * len(groups)
    for party in sorted(costs, key=lambda p: (-costs[p], p)):
        i = min(range(len(groups)), key=lambda g: (load[g], g))
        groups[i].append(party)
        load[i] += costs[party]
    return [tuple(g) for g in groups if g]


def _worker(index: int, chains: dict[str, NodeChain], make_sink: Callable[[int], Sink],
            inbox: Any, outbox: Any, written: Any, inherited: list[Any]) -> None:
    """A worker's life: chain and write every batch; flush on request; return chain states."""
    from producers.engine import tampered

    # Ctrl-C and SIGTERM (also sent to the whole process group) are the generator's to
    # handle: it stops cleanly and closes the workers. Already ignored since the fork
    # (`WorkerPool` ignores them around `start()`); set again in case of another start method.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked across the fork
    for conn in inherited:  # the generator's pipe ends (fork copies): else no EOF if it dies
        conn.close()
    sink: Sink | None = None
    try:
        sink = make_sink(index)
        write = sink.write
        submit = getattr(sink, "submit", lambda: None)
        loads, recv = pickle.loads, inbox.recv_bytes
        while True:
            msg = loads(recv())
            if type(msg) is list:
                for party, t, type_, data, tamper in msg:
                    chain = chains[party]
                    if type_ is None:
                        write(party, chain.append_checkpoint(t)[1])
                    elif tamper:
                        write(party, tampered(chain.append(type_, data, t)[0]))
                    else:
                        write(party, chain.append(type_, data, t)[1])
                written[index] += len(msg)
                if not inbox.poll(LINGER_S):
                    submit()  # the stream paused: send what the sink holds back
            elif msg == "flush":
                sink.flush()
                outbox.send(("flushed", None))
            elif msg == "idle":
                sink.flush()
            elif msg == "close":
                sink.close()
                outbox.send(("closed", {p: c.state() for p, c in chains.items()}))
                return
    except EOFError:      # the generator is gone: nothing to report to
        os._exit(1)
    except BaseException as exc:  # noqa: BLE001 - reported to the generator, which stops the run
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            outbox.send(("error", detail))
        except OSError:
            pass
        os._exit(1)


class WorkerPool:
    """An `engine.Output` whose chains and sinks live in `workers` processes.

    `make_sink(i)` is called inside worker i (after the fork) and returns its
    sink. With `merge_to`, the sinks must be files `part_path(i)`; `close()`
    merges them into `merge_to` in global order (appending if `append`).
    """

    def __init__(self, chains: dict[str, NodeChain], costs: Mapping[str, float], workers: int,
                 make_sink: Callable[[int], Sink], *, merge_to: Path | None = None,
                 append: bool = False, part_path: Callable[[int], Path] | None = None) -> None:
        ctx = multiprocessing.get_context("fork")
        self.chains = chains
        self.heads = {p: Head.of(c) for p, c in chains.items()}
        self.groups = split(costs, workers)
        self.written = ctx.RawArray("q", len(self.groups))  # events each worker has written
        self.merge_to, self.append, self.part_path = merge_to, append, part_path
        self.order: bytearray | None = bytearray() if merge_to is not None else None
        self._procs: list[Any] = []
        self._inboxes: list[Any] = []
        self._outboxes: list[Any] = []
        parent_ends: list[Any] = []
        for i, group in enumerate(self.groups):
            inbox_r, inbox_w = ctx.Pipe(duplex=False)
            _widen(inbox_w)
            outbox_r, outbox_w = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_worker, name=f"custodes-simulate-worker-{i}", daemon=True,
                args=(i, {p: chains[p] for p in group}, make_sink, inbox_r, outbox_w,
                      self.written, [*parent_ends, inbox_w, outbox_r]))
            _start_ignoring_stop_signals(proc)
            inbox_r.close()
            outbox_w.close()
            parent_ends += [inbox_w, outbox_r]
            self._procs.append(proc)
            self._inboxes.append(inbox_w)
            self._outboxes.append(outbox_r)
        self.route = {p: i for i, group in enumerate(self.groups) for p in group}
        self._buffers: list[list[Any]] = [[] for _ in self.groups]
        self._early: list[list[Any]] = [[] for _ in self.groups]  # answers read by _send
        self._closed = False
        self._sent_at = time.monotonic()

    # --- engine.Output ----------------------------------------------------------
    def emit(self, party: str, type_: str, data: dict[str, Any], t: int, tamper: bool) -> None:
        head = self.heads[party]
        head.seq += 1
        head.since_checkpoint += 1
        i = self.route[party]  # _put, inlined: this runs for every event
        buf = self._buffers[i]
        buf.append((party, t, type_, data, tamper))
        if self.order is not None:
            self.order.append(i)
        if len(buf) >= BATCH:
            self._send(i, buf)
            self._buffers[i] = []

    def checkpoint(self, party: str, t: int) -> None:
        head = self.heads[party]
        head.seq += 1
        head.since_checkpoint, head.last_checkpoint_ms = 0, t
        self._put(party, (party, t, None, None, False))

    def _put(self, party: str, item: tuple[Any, ...]) -> None:
        i = self.route[party]
        buf = self._buffers[i]
        buf.append(item)
        if self.order is not None:
            self.order.append(i)
        if len(buf) >= BATCH:
            self._send(i, buf)
            self._buffers[i] = []

    def _send(self, i: int, msg: Any) -> None:
        try:
            self._inboxes[i].send_bytes(pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            self._fail(i)
        if self._outboxes[i].poll():  # an error, or the answer to an earlier request
            self._early[i].append(self._reply(i))

    def _send_buffers(self) -> None:
        for i, buf in enumerate(self._buffers):
            if buf:
                self._send(i, buf)
                self._buffers[i] = []

    def _answer(self, i: int) -> Any:
        """Worker i's answer to the request before: read early by `_send`, or now."""
        return self._early[i].pop(0) if self._early[i] else self._reply(i)

    def _reply(self, i: int) -> Any:
        """The next message of worker i; WorkerError if it reports a failure or is gone."""
        try:
            kind, payload = self._outboxes[i].recv()
        except (EOFError, OSError):
            self._fail(i)
        if kind == "error":
            self._stop_all()
            raise WorkerError(f"worker {i} ({','.join(self.groups[i])}) failed: {payload}")
        return payload

    def _fail(self, i: int) -> NoReturn:
        """Worker i is gone: its own report if it left one, else its exit code."""
        report = None
        try:
            if self._outboxes[i].poll(1.0):
                kind, payload = self._outboxes[i].recv()
                report = payload if kind == "error" else None
        except (EOFError, OSError):
            pass
        proc = self._procs[i]
        proc.join(5)
        self._stop_all()
        what = f"failed: {report}" if report else f"died (exit code {proc.exitcode})"
        raise WorkerError(f"worker {i} ({','.join(self.groups[i])}) {what}")

    def nudge(self) -> None:
        """Paced run, ahead of the clock: hand over batches older than LINGER_S."""
        now = time.monotonic()
        if now - self._sent_at >= LINGER_S:
            self._sent_at = now
            self._send_buffers()

    def idle(self) -> None:
        """Hand over what is buffered and let the workers flush: the stream is waiting."""
        self._send_buffers()
        for i in range(len(self.groups)):
            self._send(i, "idle")

    def flush(self) -> None:
        self._send_buffers()
        for i in range(len(self.groups)):
            self._send(i, "flush")
        for i in range(len(self.groups)):
            self._answer(i)

    def close(self) -> None:
        """Flush and stop every worker; their final chain states replace `chains`; merge files."""
        if self._closed:
            return
        self._send_buffers()
        for i in range(len(self.groups)):
            self._send(i, "close")
        states: dict[str, Any] = {}
        for i in range(len(self.groups)):
            states.update(self._answer(i))
        self._closed = True
        for proc in self._procs:
            proc.join(30)
        for party, st in states.items():
            self.chains[party] = NodeChain.from_state(self.chains[party].key, st,
                                                      validate=self.chains[party].validate)
        if self.merge_to is not None:
            assert self.order is not None and self.part_path is not None
            merge(self.merge_to, [self.part_path(i) for i in range(len(self.groups))],
                  self.order, self.append)

    def abort(self) -> None:
        """Stop the workers without flushing (after a failure); parts are removed."""
        self._stop_all()
        if self.part_path is not None:
            for i in range(len(self.groups)):
                self.part_path(i).unlink(missing_ok=True)

    def _stop_all(self) -> None:
        self._closed = True
        for conn in self._inboxes:
            conn.close()
        for proc in self._procs:
            proc.join(2)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)

    def progress(self) -> str:
        """Events written by each worker so far (the progress line's detail)."""
        return f"{len(self.groups)} workers: " + " + ".join(f"{n:,}" for n in self.written)


def _start_ignoring_stop_signals(proc: Any) -> None:
    """Fork `proc` with SIGINT and SIGTERM ignored from its first instruction.

    A stop signal to the process group must reach only the generator, which
    stops cleanly; a worker killed by it would fail the run. The signals are
    blocked here while their disposition is SIG_IGN for the fork (the child
    inherits it), then the handlers are restored and unblocked: one that
    arrived meanwhile is delivered to this process's handler afterwards.
    """
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    handlers = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    try:
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        try:
            proc.start()
        finally:
            for s, h in handlers.items():
                signal.signal(s, h if h is not None else signal.SIG_DFL)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _widen(conn: Any) -> None:
    """Room for a few whole batches in the pipe (Linux: 1 MiB instead of 64 KiB), so the
    generator rarely blocks half-way through a message while the worker is busy."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or above fs.pipe-max-size: the default size works, a little slower


def merge(out: Path, parts: list[Path], order: bytearray, append: bool) -> None:
    """The workers' part files as one file, in the generator's order; parts are removed."""
    from producers.sinks import fsync

    files = [open(p, "rb") for p in parts]  # noqa: SIM115 - closed below
    try:
        readers = [f.readline for f in files]
        with open(out, "ab" if append else "wb", buffering=1 << 20) as fh:
            start = fh.tell() if fh.seekable() else None
            try:
                write = fh.write
                for n, i in enumerate(order):
                    line = readers[i]()
                    if not line.endswith(b"\n"):  # b"" (or a cut line): the part ended early
                        raise WorkerError(
                            f"merge: {parts[i]} ended early, at event {n + 1:,} of "
                            f"{len(order):,} ({order[:n].count(i):,} lines read from it)")
                    write(line)
                fh.flush()
                fsync(fh)
            except BaseException:  # leave `out` as it was: the run is not saved
                if start is not None:
                    try:
                        fh.truncate(start)
                    except OSError:
                        pass
                raise
        leftover = [str(p) for p, f in zip(parts, files, strict=True) if f.read(1)]
        if leftover:
            raise WorkerError(f"merge: lines left over in {', '.join(leftover)}")
    finally:
        for f in files:
            f.close()
    for p in parts:
        p.unlink(missing_ok=True)


def node_costs(cfg: Any, nodes: tuple[str, ...], scale: float) -> dict[str, float]:
    """Expected relative CPU per simulated day of each node: events, and signed checkpoints.

    Every query is sent by one node and answered by another, so a node's
    volume is about the queries it sends plus those it answers: the US takes
    part in all of them, each EU node in its weight's share.
    """
    from custodes.parties import US

    t = cfg.traffic
    eu = [p for p in nodes if p != US]
    total_w = sum(t.weights[p] for p in t.weights) or 1.0
    volume = (t.us_queries_per_day + t.eu_queries_per_day) * scale
    checkpoints = 86_400 / max(cfg.run.checkpoint_interval_s, 1e-3)
    costs = {p: volume * t.weights[p] / total_w * EVENT_COST for p in eu}
    if US in nodes:
        costs[US] = sum(volume * t.weights[p] / total_w for p in eu) * EVENT_COST
    return {p: c + checkpoints * CHECKPOINT_COST for p, c in costs.items()}
