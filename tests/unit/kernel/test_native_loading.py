"""custodes/native.py: when the extension is used, and that production uses it then.

The extension is used only when it is built, current (`API`, and `SOURCES`
equal to the hash of this checkout's native/ sources: a .so left from older
sources after a pull is refused with one line on stderr), not disabled by
CUSTODES_NATIVE (0/false/no/off), and when libsodium still refuses a
torsion-shifted signature (both paths of a machine must agree). When it is
used, trust.py and codec.py take it by default: checked here in this process
and, with a stand-in module, in fresh interpreters (which runs without the
real extension too). Under CI=true a stale module fails the suite, and so does
a missing one where cargo could have built it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from custodes import codec, trust
from custodes import native as loader
from custodes.signing import NodeKey
from custodes.trust import Trust

from . import native_support

ROOT = Path(__file__).resolve().parents[3]


def test_the_extension_is_in_use_unless_disabled() -> None:
    if loader.STATUS == loader.DISABLED:
        pytest.skip("CUSTODES_NATIVE turns the extension off")
    if loader.STATUS == loader.NOT_BUILT:
        native_support.skip_or_fail(native_support.MISSING)
    if loader.STATUS == loader.STALE:
        if native_support.under_ci():
            pytest.fail(loader.STALE_WARNING, pytrace=False)
        pytest.skip(loader.STALE_WARNING)
    assert loader.STATUS != loader.LIBSODIUM_CHANGED, loader.LIBSODIUM_WARNING
    assert loader.STATUS == loader.IN_USE
    assert loader.NATIVE is sys.modules["custodes_native"]
    assert loader.WARNING is None


def test_production_is_wired_to_the_choice() -> None:
    # The hooks as the modules set them at import; no test sets them here.
    key = NodeKey.from_seed("DE", "DE-1", b"x")
    verify = Trust({"DE": (key.key_id, key.public_key_bytes)})._keys["DE"][2]
    if loader.NATIVE is None:
        assert trust._Ed25519Key is None and codec._canonical_event_sha256 is None
        assert verify is None
        return
    assert trust._Ed25519Key is loader.NATIVE.Ed25519Key
    assert codec._canonical_event_sha256 is loader.NATIVE.canonical_event_sha256
    assert type(verify.__self__) is loader.NATIVE.Ed25519Key
    assert verify.__self__.public_key == key.public_key_bytes


def test_the_built_module_carries_this_checkouts_sources_hash() -> None:
    module = native_support.require()
    if loader.STATUS == loader.DISABLED:
        pytest.skip("CUSTODES_NATIVE turns the extension off")
    if module.SOURCES != loader.sources_hash():
        native_support.skip_or_fail(loader.STALE_WARNING)
    # setup.sh's stamp starts with the same hash (it asks sources_hash for it).
    stamp = ROOT / ".venv" / ".custodes-native-stamp"
    if stamp.exists():
        assert stamp.read_text().split()[0] == loader.sources_hash()


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "No", "off", " Off\n"])
def test_custodes_native_turns_it_off(value: str) -> None:
    assert loader.disabled({"CUSTODES_NATIVE": value})
    assert loader.load({"CUSTODES_NATIVE": value}) == (None, loader.DISABLED, None)


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", "", "00", "disable"])
def test_other_values_leave_it_on(value: str) -> None:
    assert not loader.disabled({"CUSTODES_NATIVE": value})
    assert not loader.disabled({})


# --- the sources' hash ------------------------------------------------------------
def _crate(root: Path) -> Path:
    (root / "src" / "sub").mkdir(parents=True)
    (root / "Cargo.toml").write_text("[package]\n")
    (root / "Cargo.lock").write_text("# lock\n")
    (root / "src" / "lib.rs").write_text("// lib\n")
    (root / "src" / "sub" / "more.rs").write_text("// more\n")
    (root / "src" / "notes.txt").write_text("not a source\n")
    return root


def test_sources_hash_covers_every_build_input(tmp_path: Path) -> None:
    root = _crate(tmp_path / "native")
    assert [p.relative_to(root).as_posix() for p in loader.source_files(root)] == \
        ["Cargo.toml", "Cargo.lock", "src/lib.rs", "src/sub/more.rs"]
    seen = {loader.sources_hash(root)}
    for name in ("Cargo.toml", "Cargo.lock", "src/lib.rs", "src/sub/more.rs"):
        (root / name).write_text((root / name).read_text() + " ")
        seen.add(loader.sources_hash(root))
    (root / "build.rs").write_text("fn main() {}\n")
    seen.add(loader.sources_hash(root))
    (root / "src" / "new.rs").write_text("")
    seen.add(loader.sources_hash(root))
    (root / "src" / "new.rs").rename(root / "src" / "renamed.rs")
    seen.add(loader.sources_hash(root))
    assert len(seen) == 8 and None not in seen
    (root / "src" / "notes.txt").write_text("changed")
    assert loader.sources_hash(root) in seen
    assert loader.sources_hash(tmp_path / "nothing") is None  # an installed package: no checkout


def test_sources_hash_of_this_checkout_is_what_setup_sh_uses() -> None:
    text = (ROOT / "scripts" / "setup.sh").read_text()
    assert "from custodes.native import sources_hash" in text
    assert 'CUSTODES_NATIVE_SOURCES="$native_src"' in text
    assert loader.sources_hash() is not None and loader.SOURCES_DIR == ROOT / "native"


# --- the decision on an imported module -----------------------------------------------
def _fake(**overrides: Any) -> Any:
    fields: dict[str, Any] = {"API": loader.API, "SOURCES": "s" * 64,
                              "ed25519_verify": lambda sig, msg, pk: False}
    return SimpleNamespace(**(fields | overrides))


def _refuses(sig: bytes, msg: bytes, pk: bytes) -> bool:
    return False


def test_check_takes_a_current_module() -> None:
    fake = _fake()
    assert loader.check(fake, "s" * 64, _refuses) == (fake, loader.IN_USE, None)
    assert loader.check(fake, None, _refuses) == (fake, loader.IN_USE, None)  # nothing to compare


@pytest.mark.parametrize("fake, sources", [
    (_fake(), "t" * 64),  # other sources
    (_fake(SOURCES=None), "s" * 64),  # built without the hash
    (_fake(API=loader.API + 1), "s" * 64),
    (_fake(API=loader.API + 1), None),
    (SimpleNamespace(), None),
])
def test_check_refuses_a_stale_module(fake: Any, sources: str | None) -> None:
    assert loader.check(fake, sources, _refuses) == (None, loader.STALE, loader.STALE_WARNING)


def test_check_refuses_when_libsodium_or_the_module_accepts_the_torsion_signature() -> None:
    asked = []

    def accepts(sig: bytes, msg: bytes, pk: bytes) -> bool:
        asked.append((sig, msg, pk))
        return True

    refused = (None, loader.LIBSODIUM_CHANGED, loader.LIBSODIUM_WARNING)
    assert loader.check(_fake(), "s" * 64, accepts) == refused
    assert asked == [(loader.TORSION_SIG, loader.TORSION_MSG, loader.TORSION_PK)]
    assert loader.check(_fake(ed25519_verify=accepts), "s" * 64, _refuses) == refused
    # the real libsodium refuses it (PyNaCl < 1.7: cofactorless)
    assert loader.libsodium_accepts(loader.TORSION_SIG, loader.TORSION_MSG,
                                    loader.TORSION_PK) is False


def test_the_real_module_passes_the_check() -> None:
    module = native_support.require()
    assert loader.check(module, module.SOURCES) == (module, loader.IN_USE, None)
    assert loader.check(module, "0" * 64) == (None, loader.STALE, loader.STALE_WARNING)


# --- fresh interpreters with a stand-in module ---------------------------------------
STAND_IN = """
API = {api}
SOURCES = {sources!r}
class Ed25519Key:
    def __init__(self, pk): self.pk = pk
    def verify(self, sig, msg): return False
def ed25519_verify(sig, msg, pk): return False
def canonical_sha256(line): return None
def canonical_event_sha256(line): return None
"""
PROBE = """
import sys
from custodes import codec, native, trust
import custodes_native
print(native.STATUS)
print(native.NATIVE is custodes_native, trust._Ed25519Key is getattr(native.NATIVE, "Ed25519Key", None),
      codec._canonical_event_sha256 is getattr(native.NATIVE, "canonical_event_sha256", None))
import custodes.native  # a second import does not warn again
"""


def _run(tmp_path: Path, sources: str | None, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "custodes_native.py").write_text(STAND_IN.format(api=loader.API, sources=sources))
    environ = {k: v for k, v in os.environ.items() if k != "CUSTODES_NATIVE"}
    environ |= {"PYTHONPATH": str(tmp_path)} | env
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=environ, cwd=ROOT, timeout=120, check=True)


def test_a_current_module_is_wired_in_by_default(tmp_path: Path) -> None:
    done = _run(tmp_path, loader.sources_hash())
    assert done.stdout.split("\n")[:2] == [loader.IN_USE, "True True True"]
    assert done.stderr == ""


def test_a_stale_module_is_refused_with_one_line_on_stderr(tmp_path: Path) -> None:
    done = _run(tmp_path, "0" * 64)
    assert done.stdout.split("\n")[:2] == [loader.STALE, "False True True"]  # both hooks None
    assert done.stderr == loader.STALE_WARNING + "\n"
    assert loader.STALE_WARNING == "custodes_native is stale: run scripts/setup.sh"


def test_disabled_in_a_fresh_interpreter(tmp_path: Path) -> None:
    done = _run(tmp_path, loader.sources_hash(), CUSTODES_NATIVE="Off")
    assert done.stdout.split("\n")[:2] == [loader.DISABLED, "False True True"]
    assert done.stderr == ""
