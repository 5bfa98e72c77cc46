"""Atomic file replacement and TOML string literals."""
from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custodes.files import atomic_write, toml_string


def test_atomic_write_creates_then_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    assert atomic_write(target, b"first\n") == target
    assert target.read_bytes() == b"first\n"
    atomic_write(str(target), b"second\n")
    assert target.read_bytes() == b"second\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl"]  # no temp left


def test_without_a_mode_the_file_is_an_ordinary_one(tmp_path: Path) -> None:
    umask = os.umask(0o027)
    try:
        path = atomic_write(tmp_path / "f", b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # 0o666 less the umask, as open() gives


@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_an_explicit_mode_is_set_exactly_whatever_the_umask(tmp_path: Path, mode: int) -> None:
    umask = os.umask(0o077)
    try:
        path = atomic_write(tmp_path / "f", b"x", mode=mode)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_the_data_is_fsynced_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    atomic_write(tmp_path / "f", b"x")
    assert calls[:2] == ["fsync", "replace"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "trust.toml"
    target.write_bytes(b"old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trust.toml"]


def test_a_missing_directory_is_an_error_not_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "f", b"x")
    assert not (tmp_path / "nope").exists()


def test_toml_string_escapes_quotes_backslashes_and_controls() -> None:
    assert toml_string("DE-sim-1") == '"DE-sim-1"'
    assert toml_string('a"b\\c\n\x01\x7f') == '"a\\"b\\\\c\\n\\u0001\\u007f"'
    assert toml_string("Zürich 😀") == '"Zürich 😀"'  # UTF-8 as is (no surrogate escapes)


@given(st.text())
def test_toml_string_reads_back_as_the_same_text(text: str) -> None:
    assert tomllib.loads(f"k = {toml_string(text)}\n") == {"k": text}
