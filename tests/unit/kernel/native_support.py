"""Whether the native extension's tests can run, and what its absence means.

The differential tests need `custodes_native` importable. Locally, or where
cargo is not installed (nothing could have built it), its absence skips them
with the reason. Under CI (CI=true) with cargo available, setup.sh should have
built it, and a build that failed only with a warning must not pass unseen:
its absence is a failure (as tests/spec/test_examples.py does for the spec
examples).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest


def cargo() -> str | None:
    """The cargo setup.sh would use, or None."""
    found = shutil.which("cargo")
    home = Path.home() / ".cargo" / "bin" / "cargo"
    return found or (str(home) if home.exists() else None)


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def must_be_built() -> bool:
    """Whether a missing or unusable extension is a failure here (CI=true and cargo)."""
    return under_ci() and cargo() is not None


def module() -> ModuleType | None:
    """`custodes_native` as imported (whatever custodes.native decided), or None."""
    try:
        import custodes_native  # type: ignore[import-not-found]
    except ImportError:
        return None
    return custodes_native


MISSING = ("custodes_native is not built (scripts/setup.sh builds it when cargo is installed; "
           "a failed build is logged in .venv/native-build.log)")


def skip_or_fail(reason: str) -> None:
    """Fail under CI=true with cargo available; else skip with the reason."""
    if must_be_built():
        pytest.fail(f"{reason}; under CI=true with cargo available this is a failure",
                    pytrace=False)
    pytest.skip(reason if cargo() else f"{reason}; cargo is not installed")


def require() -> ModuleType:
    """The extension module, or skip (or fail: `skip_or_fail`)."""
    found = module()
    if found is None:
        skip_or_fail(MISSING)
    assert found is not None
    return found
