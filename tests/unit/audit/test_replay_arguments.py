"""`custodes audit replay` refuses unusable arguments before reading anything (SPEC §9: exit 2)."""
from pathlib import Path

import pytest

from custodes.cli import main


@pytest.mark.parametrize("source", [["--from-archive"], ["--events", "unused.jsonl"]])
def test_an_unwritable_resolutions_file_is_refused_before_the_replay(
    source: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing_dir = tmp_path / "no-such-dir"
    status = main(["audit", "replay", *source,
                   "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none",
                   "--findings-out", str(tmp_path / "f.jsonl"),
                   "--resolutions-out", str(missing_dir / "r.jsonl")])
    assert status == 2
    assert "--resolutions-out" in capsys.readouterr().err
    assert not (tmp_path / "f.jsonl").exists()
