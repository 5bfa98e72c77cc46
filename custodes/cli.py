"""The `custodes` command: one entry point, one sub-command module per feature.

Each feature owns its sub-command in its own module, which exposes
``register(subparsers) -> None``; the module adds its parser and sets
``func`` (called with the parsed namespace, returning the exit status).
Modules are imported lazily so that ``custodes --help`` stays fast and a
feature's heavy dependencies load only when that feature runs.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# (module path) in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "custodes.stack.cli",          # custodes stack up|down|status
    "processors.audit_cli",        # custodes audit replay|export
    "producers.cli",               # custodes simulate
    "processors.live.cli",         # custodes process
    "oversight_ui.cli",            # custodes ui, custodes users
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="custodes",
        description="Custodes: audit and oversight of the EU-US biometric information-sharing "
        "framework. Every command has --help.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a feature not installed in this build
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
