"""Writing small files safely: atomic replacement, and TOML string literals.

Trust files, node keys, simulator state and audit results are read by other
processes, possibly while they are rewritten, and must never be seen half
written, nor be lost by a crash just after the write "succeeded".
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n",
                  "\f": "\\f", "\r": "\\r"}


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> Path:
    """Replace `path` by `data` so that readers see the old file or the new one, whole.

    The bytes go to a temporary file in the same directory (so `os.replace`
    is a rename within one file system), are fsync'd, get their permissions,
    and only then replace the target; the directory is fsync'd after the
    rename so the new name survives a crash too. `mode` None gives what
    `open()` would (0o666 less the umask); an explicit mode is set exactly,
    and the file is created with it, so a private key is never readable by
    others, not even briefly. On failure the temporary file is removed and
    the target is untouched. The directory must exist.
    """
    target = Path(path)
    directory = target.parent
    while True:
        tmp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)  # exact, whatever the umask
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(directory)
    return target


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform; the file itself is synced
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def toml_string(text: str) -> str:
    """`text` as a TOML basic string, quotes included: `key = {toml_string(value)}`.

    Quotes, backslashes and control characters are escaped (TOML forbids raw
    control characters in a basic string); everything else, non-ASCII
    included, is written as is, since a TOML file is UTF-8.
    """
    out = ['"']
    for ch in text:
        short = _SHORT_ESCAPES.get(ch)
        if short is not None:
            out.append(short)
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
