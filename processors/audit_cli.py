"""`custodes audit`: re-audit a past period from the record (SPEC §9).

    custodes audit replay --events FILE.jsonl [--policy P.toml] [--trust T.toml]
                          [--horizon 2026-12-31T00:00:00.000Z] --findings-out OUT.jsonl
                          [--resolutions-out RES.jsonl]

This module is the thin adapter: argument checking, reading JSONL, reporting
invalid lines, writing results. The evaluation is `processors.core.replay`.

Exit status: 0 when the replay ran (whatever it found); 2 for unusable
arguments (argparse errors, a malformed --horizon, a policy or trust file that
cannot be read or is invalid, an output file that cannot be created); 1 for
unreadable input (the events file missing or an I/O error while reading it,
or an I/O error while writing the results), with a message naming the file
(and line).

Other features add sub-commands under `audit` with `add_audit_command`
(e.g. `export`, `--from-archive` readers) without editing this file's parser.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import msgspec

from custodes.codec import Rejection, decode_lines
from custodes.events import Event
from custodes.files import atomic_write
from custodes.timefmt import format_ms, parse_ms

AuditCommand = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
_EXTRA_COMMANDS: list[AuditCommand] = []
_ENCODER = msgspec.json.Encoder()


def add_audit_command(register: AuditCommand) -> AuditCommand:
    """Let another module add `custodes audit <name>`: `register(audit_subparsers)`.

    Usable as a decorator; call it at import of a module listed in
    `AUDIT_COMMAND_MODULES` (or before `custodes.cli.build_parser` runs)."""
    _EXTRA_COMMANDS.append(register)
    return register


# Modules that register further `audit` sub-commands via `add_audit_command`.
AUDIT_COMMAND_MODULES: tuple[str, ...] = ("processors.audit_export",)


class UsageError(Exception):
    """Unusable arguments: exit status 2."""


class InputError(Exception):
    """Unreadable input or unwritable results: exit status 1."""


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    audit = subparsers.add_parser(
        "audit", help="re-audit a past period from the event record",
        description="Auditor tools: replay the record through the rules of SPEC §6.",
    )
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="AUDIT_COMMAND")
    audit.set_defaults(func=lambda args: (audit.print_help(), 2)[1])
    _register_replay(audit_sub)
    import importlib

    for name in AUDIT_COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not (exc.name and name.startswith(exc.name)):
                raise
    for extra in _EXTRA_COMMANDS:
        extra(audit_sub)


def _register_replay(audit_sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = audit_sub.add_parser(
        "replay", help="evaluate every rule over a JSONL record as of a horizon",
        description=(
            "Read node events (JSONL, one CloudEvent per line, any order), order each "
            "node's events by seq, evaluate the rules of SPEC §6 as of the horizon, and "
            "write one finding per line sorted by finding_id. Invalid lines are reported "
            "on stderr as FILE:LINE: reason and skipped; duplicates are ignored. Events "
            "later than the horizon are ignored. Exit 0 when it ran whatever it found, "
            "2 for unusable arguments (including an unreadable or invalid policy or "
            "trust file), 1 when the events file cannot be read."
        ),
    )
    p.add_argument("--events", required=True, metavar="FILE.jsonl",
                   help="the record to replay: JSONL of node events, in any order")
    p.add_argument("--policy", metavar="POLICY.toml",
                   help="policy file (SPEC §4); the spec's defaults when omitted")
    p.add_argument("--trust", metavar="TRUST.toml",
                   help="trust file with the nodes' public keys; checkpoint signatures are "
                   "verified (INT-1) only when given")
    p.add_argument("--horizon", metavar="TIMESTAMP",
                   help="evaluate as of this instant, e.g. 2026-12-31T00:00:00.000Z: events "
                   "with time <= it are decided, deadlines before it have passed, later "
                   "events are ignored (default: the greatest time in the input)")
    p.add_argument("--findings-out", required=True, metavar="FINDINGS.jsonl",
                   help="where to write the raised findings (ebsp.finding.raised.v1 data, "
                   "one JSON object per line, sorted by finding_id)")
    p.add_argument("--resolutions-out", metavar="RESOLUTIONS.jsonl",
                   help="also write the resolutions (ebsp.finding.resolved.v1 data) of "
                   "findings whose missing event came late")
    p.add_argument("--quiet", action="store_true",
                   help="no summary on stderr (invalid lines are still reported)")
    p.set_defaults(func=run_replay)


# --- the command ------------------------------------------------------------
def run_replay(args: argparse.Namespace) -> int:
    err = sys.stderr
    try:
        policy, trust, horizon = _load_arguments(args)
        check_outputs(args)
        from processors.core.replay import replay

        started = time.monotonic()
        reader = JsonlReader(args.events, err)
        result = reader.run(lambda events, ordered: replay(
            events, policy, trust, horizon, require_order=ordered))
        _write_jsonl(args.findings_out, result.findings)
        if args.resolutions_out:
            _write_jsonl(args.resolutions_out, result.resolutions)
    except UsageError as exc:
        print(f"custodes audit replay: {exc}", file=err)
        return 2
    except InputError as exc:
        print(f"custodes audit replay: {exc}", file=err)
        return 1
    if not args.quiet:
        _summary(result, reader, time.monotonic() - started, err)
    return 0


def _load_arguments(args: argparse.Namespace) -> tuple[Any, Any, int | None]:
    from custodes.policy import load_policy
    from custodes.trust import load_trust

    try:
        policy = load_policy(args.policy)
    except (ValueError, OSError) as exc:  # PolicyError names the file and key
        raise UsageError(f"--policy: {exc}") from None
    trust = None
    if args.trust:
        try:
            trust = load_trust(args.trust)
        except (ValueError, OSError) as exc:
            raise UsageError(f"--trust: {exc}") from None
    horizon = None
    if args.horizon is not None:
        try:
            horizon = parse_ms(args.horizon)
        except ValueError as exc:
            raise UsageError(f"--horizon: {exc}") from None
    return policy, trust, horizon


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse unwritable result files before the replay, not after it (exit 2 at once)."""
    _check_writable(args.findings_out, "--findings-out")
    if getattr(args, "resolutions_out", None):
        _check_writable(args.resolutions_out, "--resolutions-out")


def _check_writable(path: str, option: str) -> None:
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{option} {path}: directory {parent} is not writable")
    if Path(path).is_dir():
        raise UsageError(f"{option} {path}: is a directory")


def _write_jsonl(path: str, rows: list[Any]) -> None:
    """Write atomically: a failed run never leaves a half-written findings file."""
    data = b"".join(_ENCODER.encode(row) + b"\n" for row in rows)
    try:
        atomic_write(path, data)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc}") from None


# --- reading ----------------------------------------------------------------
class JsonlReader:
    """Streams a JSONL file as Events, reporting invalid lines once each.

    `run(evaluate)` first tries one pass in file order (`evaluate(events,
    True)`); if a source is out of seq order it re-reads the file, sorts, and
    evaluates again (`evaluate(sorted, False)`), reporting only the invalid
    lines the first pass had not reached.
    """

    def __init__(self, path: str, err: TextIO) -> None:
        self.path = path
        self._err = err
        self.lines = 0
        self.blank = 0
        self.rejected = 0
        self.sorted = False
        self._reported_upto = 0
        try:
            self.size = os.path.getsize(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot read events: {exc.strerror or exc}") from None
        self._progress = Progress(self.size, err) if err.isatty() and self.size > 8_000_000 \
            else None

    def run(self, evaluate: Callable[[Iterator[Event], bool], Any]) -> Any:
        from processors.core.replay import OutOfOrder, sort_events

        try:
            return evaluate(self._events(), True)
        except OutOfOrder:
            pass
        self.sorted = True
        self.lines = self.blank = 0
        return evaluate(sort_events(self._events()), False)

    def _events(self) -> Iterator[Event]:
        """Decode the file line by line; lines are read `_CHUNK` bytes at a time, not one
        call each.

        Events are handed on one at a time as they are decoded (not as a list per
        chunk), so each is still in the processor's cache when the rules read it.
        The chunk is small for the same reason, and because a fresh multi-MiB
        buffer per read (then a copy of it with the previous tail) costs page
        faults: 256 KiB chunks cut the reading from about 1 to 0.4 µs a line."""
        path, err = self.path, self._err
        lineno = 0
        try:
            fh: BinaryIO = open(path, "rb")
        except OSError as exc:
            raise InputError(f"{path}: cannot read events: {exc.strerror or exc}") from None
        with fh:
            progress = self._progress
            what = "sorting" if self.sorted else "replaying"
            read = 0
            tail = b""
            while True:
                try:
                    chunk = fh.read(_CHUNK)
                except OSError as exc:
                    raise InputError(f"{path}:{lineno + 1}: cannot read: {exc}") from None
                if chunk:
                    read += len(chunk)
                    lines = chunk.split(b"\n")
                    if tail:  # the previous chunk's unfinished last line (not `tail + chunk`:
                        lines[0] = tail + lines[0]  # copying the whole chunk again costs)
                    tail = lines.pop()  # the unfinished last line, completed by the next chunk
                elif tail:
                    lines, tail = [tail], b""  # a last line without a newline
                else:
                    break
                for event in decode_lines(lines):  # None for a blank line
                    lineno += 1
                    if event is None:
                        self.blank += 1
                        continue
                    if type(event) is Rejection:
                        if lineno > self._reported_upto:
                            self.rejected += 1
                            print(f"{path}:{lineno}: {event.reason}", file=err)
                            self._reported_upto = lineno
                        continue
                    yield event  # type: ignore[misc]
                self.lines = lineno
                if progress is not None:
                    progress.show(read, what)
            if progress is not None:
                progress.done()
        self._reported_upto = max(self._reported_upto, lineno)


_CHUNK = 1 << 18  # 256 KiB: a few hundred lines of a typical record


class Progress:
    """A one-line progress bar by bytes read, on a terminal only."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total = max(total, 1)
        self.out = out
        self.started = time.monotonic()

    def show(self, done: int, what: str) -> None:
        frac = min(done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        rate = done / max(time.monotonic() - self.started, 1e-6) / 1e6
        self.out.write(f"\r{what} [{bar:<30}] {frac:6.1%} {rate:6.1f} MB/s")
        self.out.flush()

    def done(self) -> None:
        self.out.write("\r" + " " * 70 + "\r")
        self.out.flush()


def _summary(result: Any, reader: JsonlReader, seconds: float, err: TextIO) -> None:
    counts: dict[tuple[str, str], int] = {}
    for f in result.findings:
        counts[(f.rule, f.severity)] = counts.get((f.rule, f.severity), 0) + 1
    horizon = format_ms(result.horizon_ms) if result.horizon_ms is not None else "-"
    lines = [
        f"replayed {reader.path}: {reader.lines} line(s), {result.events} event(s) evaluated, "
        f"{reader.rejected} invalid line(s) skipped, {result.duplicates} duplicate(s) ignored, "
        f"{result.after_horizon} after the horizon ignored"
        + (", input re-read and sorted by seq" if reader.sorted else "")
        + f"; horizon {horizon}; {seconds:.1f}s",
        f"{len(result.findings)} finding(s) raised, {len(result.resolutions)} resolved"
        + (":" if counts else ""),
    ]
    lines += [f"  {rule:<6} {sev:<9} {n}" for (rule, sev), n in sorted(counts.items())]
    print("\n".join(lines), file=err)
