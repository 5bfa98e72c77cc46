"""Auditing from the PostgreSQL archive: `audit replay --from-archive` and `audit export`.

    custodes audit replay --from-archive [--database-url URL] [--policy P] [--trust T]
                          [--horizon H] --findings-out OUT.jsonl
    custodes audit export --out SLICE.jsonl [--from TIME] [--to TIME] [--party P]
                          [--trust-out TRUST.toml] [--trust TRUST.toml] [--database-url URL]

`--from-archive` is added to the existing `audit replay` parser (its owner's
`--events` becomes "one of --events / --from-archive"); the evaluation and the
output are the file replay's, so the results are identical for the same events.
`export` writes the archive's canonical bytes, one event per line, in ingestion
order (each source in seq order), plus the trust file: a bundle any auditor can
replay elsewhere with `custodes audit replay --events`.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from processors import audit_cli
from processors.audit_cli import InputError, UsageError, add_audit_command

Sub = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _database_url(args: argparse.Namespace) -> str:
    from custodes.settings import Settings

    return args.database_url or Settings.from_env().database_url


def _archive_events(database_url: str, **slice_: Any) -> Iterator[Any]:
    from store.archive import event_of, iter_archive
    from store.db import connect_raw

    with connect_raw(database_url) as conn:
        for _no, canonical in iter_archive(conn, **slice_):
            yield event_of(canonical)


@add_audit_command
def _register(audit_sub: Sub) -> None:  # type: ignore[valid-type]
    replay = audit_sub.choices.get("replay")  # type: ignore[attr-defined]
    if replay is not None:
        for action in replay._actions:
            if "--events" in action.option_strings:
                action.required = False
                action.help = (action.help or "") + " (or --from-archive)"
        replay.add_argument("--from-archive", action="store_true",
                            help="replay the PostgreSQL event archive instead of a file")
        replay.add_argument("--database-url", metavar="URL",
                            help="archive database for --from-archive (default: DATABASE_URL)")
        replay.set_defaults(func=run_replay)
    p = audit_sub.add_parser(  # type: ignore[attr-defined]
        "export", help="write an archive slice as JSONL (canonical bytes) plus the trust file",
        description="Write archived events (canonical bytes, one per line, in ingestion order) "
        "for a time window and/or a party, and the trust file, so the slice can be replayed "
        "anywhere with `custodes audit replay --events`. A slice that does not start at a "
        "node's first event reports INT-1 for that node's first exported event when replayed "
        "(the chain before it is not in the slice).")
    p.add_argument("--out", required=True, metavar="SLICE.jsonl")
    p.add_argument("--from", dest="since", metavar="TIME", help="events with time >= TIME")
    p.add_argument("--to", dest="until", metavar="TIME", help="events with time < TIME")
    p.add_argument("--party", metavar="P", help="only events in which party P is a party")
    p.add_argument("--trust-out", metavar="TRUST.toml", help="write the trust file here")
    p.add_argument("--trust", metavar="TRUST.toml",
                   help="trust file to copy (default: CUSTODES_TRUST)")
    p.add_argument("--database-url", metavar="URL", help="default: DATABASE_URL")
    p.set_defaults(func=run_export)


def run_replay(args: argparse.Namespace) -> int:
    if not args.from_archive:
        if not args.events:
            print("custodes audit replay: one of --events or --from-archive is required",
                  file=sys.stderr)
            return 2
        return audit_cli.run_replay(args)
    if args.events:
        print("custodes audit replay: --events and --from-archive exclude each other",
              file=sys.stderr)
        return 2
    err = sys.stderr
    try:
        policy, trust, horizon = audit_cli._load_arguments(args)
        audit_cli.check_outputs(args)
        from processors.core.replay import OutOfOrder, replay, sort_events

        started = time.monotonic()
        url = _database_url(args)
        try:
            result = replay(_archive_events(url), policy, trust, horizon, require_order=True)
        except OutOfOrder:  # a forged or repeated seq: sort each source by seq, as from a file
            result = replay(sort_events(_archive_events(url)), policy, trust, horizon,
                            require_order=False)
        audit_cli._write_jsonl(args.findings_out, result.findings)
        if getattr(args, "resolutions_out", None):
            audit_cli._write_jsonl(args.resolutions_out, result.resolutions)
    except UsageError as exc:
        print(f"custodes audit replay: {exc}", file=err)
        return 2
    except (InputError, OSError) as exc:
        print(f"custodes audit replay: {exc}", file=err)
        return 1
    except Exception as exc:  # noqa: BLE001 - database unreachable etc.: unreadable input
        print(f"custodes audit replay: cannot read the archive: {exc}", file=err)
        return 1
    if not args.quiet:
        print(f"replayed the archive: {result.events} event(s), {len(result.findings)} "
              f"finding(s), {result.duplicates} duplicate(s), "
              f"{time.monotonic() - started:.1f}s", file=err)
    return 0


def run_export(args: argparse.Namespace) -> int:
    from custodes.timefmt import parse_ms

    try:
        since = parse_ms(args.since) if args.since else None
        until = parse_ms(args.until) if args.until else None
    except ValueError as exc:
        print(f"custodes audit export: {exc}", file=sys.stderr)
        return 2
    from store.archive import iter_archive
    from store.db import connect_raw

    out = Path(args.out)
    tmp = out.with_name(f".{out.name}.part")
    n, started = 0, time.monotonic()
    try:
        with connect_raw(_database_url(args)) as conn, open(tmp, "wb") as fh:
            for _no, canonical in iter_archive(conn, since_ms=since, until_ms=until,
                                               party=args.party):
                fh.write(canonical)
                fh.write(b"\n")
                n += 1
                if n % 100_000 == 0:
                    print(f"export: {n:,} events", file=sys.stderr)
        tmp.replace(out)
    except Exception as exc:  # noqa: BLE001 - report, never a traceback to an auditor
        tmp.unlink(missing_ok=True)
        print(f"custodes audit export: {exc}", file=sys.stderr)
        return 1
    print(f"export: {n:,} events written to {out} ({time.monotonic() - started:.1f}s)",
          file=sys.stderr)
    if args.trust_out:
        return _write_trust(args, Path(args.trust_out))
    return 0


def _write_trust(args: argparse.Namespace, target: Path) -> int:
    from custodes.settings import Settings
    from custodes.trust import load_trust

    source = args.trust or Settings.from_env().trust_path
    if not source:
        print("custodes audit export: --trust-out needs --trust (or CUSTODES_TRUST): the "
              "archive holds events, the public keys come from the trust file", file=sys.stderr)
        return 2
    try:
        target.write_text(load_trust(source).dump())
    except (ValueError, OSError) as exc:
        print(f"custodes audit export: {exc}", file=sys.stderr)
        return 1
    print(f"export: trust file written to {target}", file=sys.stderr)
    return 0
