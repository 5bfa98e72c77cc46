"""`custodes audit replay` reads the record in chunks; where a chunk ends changes nothing.

The reader splits each chunk into lines and carries an unfinished last line
over to the next chunk. Whatever the chunk size (down to one byte), the same
lines must reach the codec with the same line numbers: the same findings, the
same invalid lines reported, the same counts, in file order and after a re-sort.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from custodes.cli import main
from processors import audit_cli
from tests.spec.test_examples import OURS

CASE = OURS / "reciprocity-month"  # the longest of our cases: 139 events


def _record(tmp_path: Path, *, swap: bool) -> Path:
    """The case's events with blank and invalid lines among them, no final newline;
    with `swap`, also a duplicate and two events out of seq order (a re-sort)."""
    lines = CASE.joinpath("events.jsonl").read_bytes().splitlines()
    mixed = [lines[0], b"", b"{not json", *lines[1:40], b"  \t", *lines[40:90],
             b'{"id": 1}', *lines[90:]]
    if swap:
        mixed[10], mixed[11] = mixed[11], mixed[10]
        mixed.insert(60, lines[3])
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(mixed))
    return path


def _replay(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[bytes, str]:
    code = main(["audit", "replay", "--events", str(path), "--findings-out", str(out)])
    assert code == 0
    err = capsys.readouterr().err
    return out.read_bytes(), err.rsplit(";", 1)[0]  # the summary without the seconds


@pytest.mark.parametrize("swap", [False, True], ids=["in order", "re-sorted"])
def test_the_chunk_size_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, swap: bool) -> None:
    path = _record(tmp_path, swap=swap)
    expected = _replay(path, tmp_path / "whole.jsonl", capsys)
    assert f"{path}:3: not valid JSON" in expected[1]
    assert f"2 invalid line(s) skipped, {int(swap)} duplicate(s) ignored" in expected[1]
    assert ("input re-read and sorted by seq" in expected[1]) is swap
    assert expected[0].count(b"\n") >= 1
    for size in (1, 7, 100, 1000, 4096):
        monkeypatch.setattr(audit_cli, "_CHUNK", size)
        assert _replay(path, tmp_path / f"chunk-{size}.jsonl", capsys) == expected, size
