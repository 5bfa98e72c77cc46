"""The native crate's own tests (`cargo test`), for what no Python test can reach.

One of libsodium's rules cannot be shown by a signature: a public key written
with y >= p is refused even when y - p is a point of large order, and a
signature that would pass without that rule needs the key's discrete log.
native/src/lib.rs tests the rule itself (and its other helpers, and RFC 8032's
test vectors) directly.
Skipped when cargo is not installed, like the extension itself.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .native_support import cargo as _cargo

NATIVE = Path(__file__).resolve().parents[3] / "native"


@pytest.mark.slow
def test_cargo_test() -> None:
    cargo = _cargo()
    if cargo is None:
        pytest.skip("cargo is not installed: the native extension is not used either")
    # Without the default feature the crate has no Python glue: no Python needed.
    done = subprocess.run(
        [cargo, "test", "--locked", "--no-default-features", "--quiet"],
        cwd=NATIVE, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "test result: ok" in done.stdout
