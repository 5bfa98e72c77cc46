"""The optional native extension `custodes_native` (native/, Rust), or None.

Two hot spots of a replay have a native twin with the very same verdicts
(tests/unit/kernel/test_native_*.py compare them with the reference on
random and adversarial inputs):

* `Ed25519Key(public_key).verify(signature, message)`: libsodium's
  `crypto_sign_verify_detached`, ~30 µs instead of ~55 µs (custodes/trust.py);
* `canonical_sha256(line)`: the hex SHA-256 of a line that is already its own
  canonical JSON, else None; `canonical_event_sha256(line)`, the same when the
  line's top-level id and prevhash also have the shapes §2 requires: ~1 µs
  instead of a ~2 µs re-encode, compare and hash and two regexes (the codec's
  fast path, custodes/codec.py, uses the latter).

`scripts/setup.sh` builds it when cargo is there. `NATIVE` is the module when
it is used, else None, and `STATUS` says why. The pure-Python paths (same
results, a bit slower) are used:

* when CUSTODES_NATIVE is 0, false, no or off (any case) in the environment;
* when it is not built;
* when it is stale: built from other sources than this checkout's native/
  (`SOURCES`, the hash `sources_hash` computes, which setup.sh embeds at build
  time), or for another contract (`API`). One line on stderr says so
  ("custodes_native is stale: run scripts/setup.sh"). An installed package
  without native/ next to it checks `API` only;
* when libsodium (PyNaCl's) accepts a torsion-shifted signature: it has then
  moved to a cofactored check, which the native code does not reproduce, and
  the two paths of one machine must agree (one line on stderr too).
"""
from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

API = 2  # native/src/lib.rs `API` (2: canonical_event_sha256, which the codec requires)

# The crate next to this package in a checkout (absent from an installed package).
SOURCES_DIR = Path(__file__).resolve().parent.parent / "native"

IN_USE = "in use"
DISABLED = "disabled by CUSTODES_NATIVE"
NOT_BUILT = "not built"
STALE = "stale"
LIBSODIUM_CHANGED = "libsodium changed"

STALE_WARNING = "custodes_native is stale: run scripts/setup.sh"
LIBSODIUM_WARNING = (
    "custodes_native is not used: this libsodium (PyNaCl) accepts a torsion-shifted "
    "Ed25519 signature (a cofactored check), the native code reproduces the "
    "cofactorless one; see docs/decisions.md")

# A signature that a cofactored check accepts and a cofactorless one refuses:
# R' = [r]B + T (T of order 8), S = r + H(R' || A || M)·a, so [8]([S]B − [h]A)
# = [8]R' but [S]B − [h]A = [r]B ≠ R' (tests/unit/kernel/test_native_ed25519.py
# rebuilds it). libsodium as PyNaCl 1.5/1.6 bundle it refuses it.
TORSION_PK = bytes.fromhex("79fb8c3e3222892745a3b7e55203e4c70d7c66ad7081e99464e71eba329f7fe0")
TORSION_MSG = bytes.fromhex("dc6780da4111da52b7007e25b27bcb9b0823c05ccd0d4860ad8f23502819239a")
TORSION_SIG = bytes.fromhex(
    "7f4c70802c8e6542fedeed1755cec04472f2625e5efd9414a2c2f354cd334926"
    "9094674f9cbad4e9ea06a5dbedf1033639172a2fe37613255e5129ecc9524800")


def disabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether CUSTODES_NATIVE turns the extension off (0, false, no, off; any case)."""
    return environ.get("CUSTODES_NATIVE", "").strip().lower() in {"0", "false", "no", "off"}


def source_files(root: Path = SOURCES_DIR) -> list[Path]:
    """The crate's build inputs, in a fixed order: Cargo.toml, Cargo.lock, build.rs, src/**/*.rs."""
    files = [root / "Cargo.toml", root / "Cargo.lock", root / "build.rs"]
    return [f for f in files if f.is_file()] + sorted((root / "src").rglob("*.rs"))


def sources_hash(root: Path = SOURCES_DIR) -> str | None:
    """SHA-256 of the crate's sources (`source_files`), None without native/Cargo.toml.

    scripts/setup.sh embeds this very value in the build (CUSTODES_NATIVE_SOURCES,
    `custodes_native.SOURCES`) and stamps its rebuilds with it.
    """
    if not (root / "Cargo.toml").is_file():
        return None
    digest = hashlib.sha256()
    for path in source_files(root):
        data = path.read_bytes()
        name = path.relative_to(root).as_posix().encode()
        digest.update(b"%s\0%d\0" % (name, len(data)))
        digest.update(data)
    return digest.hexdigest()


def libsodium_accepts(signature: bytes, message: bytes, public_key: bytes) -> bool:
    """PyNaCl's `crypto_sign_open` verdict."""
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        return False
    return True


def check(module: ModuleType, sources: str | None,
          libsodium: Callable[[bytes, bytes, bytes], bool] = libsodium_accepts
          ) -> tuple[ModuleType | None, str, str | None]:
    """(the module or None, STATUS, a warning or None) for an imported extension.

    `sources` is this checkout's `sources_hash()` (None: no sources to compare).
    """
    if getattr(module, "API", None) != API:
        return None, STALE, STALE_WARNING
    if sources is not None and getattr(module, "SOURCES", None) != sources:
        return None, STALE, STALE_WARNING
    # ~60 µs + ~30 µs: both must refuse (cofactorless), or neither path is trusted to agree.
    if libsodium(TORSION_SIG, TORSION_MSG, TORSION_PK) \
            or module.ed25519_verify(TORSION_SIG, TORSION_MSG, TORSION_PK):
        return None, LIBSODIUM_CHANGED, LIBSODIUM_WARNING
    return module, IN_USE, None


def load(environ: Mapping[str, str] = os.environ,
         root: Path = SOURCES_DIR) -> tuple[ModuleType | None, str, str | None]:
    """(the extension module or None, STATUS, a warning or None): see the module's docstring."""
    if disabled(environ):
        return None, DISABLED, None
    try:
        import custodes_native  # type: ignore[import-not-found]
    except ImportError:
        return None, NOT_BUILT, None
    return check(custodes_native, sources_hash(root))


NATIVE, STATUS, WARNING = load()
if WARNING is not None:
    print(WARNING, file=sys.stderr)
