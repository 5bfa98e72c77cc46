"""The optional native extension `custodes_native` (native/, Rust), or None.

Two hot spots of a replay have a native twin with the very same verdicts
(tests/unit/kernel/test_native_*.py compare them with the reference on
random and adversarial inputs):

* `Ed25519Key(public_key).verify(signature, message)`: libsodium's
  `crypto_sign_verify_detached`, ~30 µs instead of ~55 µs (custodes/trust.py);
* `canonical_sha256(line)`: the hex SHA-256 of a line that is already its own
  canonical JSON, else None, ~1 µs instead of a ~2 µs re-encode, compare and
  hash (the codec's fast path, custodes/codec.py).

`scripts/setup.sh` builds it when cargo is there. Without it, or with
CUSTODES_NATIVE=0 in the environment, the pure-Python paths are used: same
results, a bit slower. A module built from other sources than this code
expects (its `API` differs) is ignored as well.
"""
from __future__ import annotations

import os
from types import ModuleType

API = 1  # native/src/lib.rs `API`


def load() -> ModuleType | None:
    """The extension module if it is built, current and not disabled; else None."""
    if os.environ.get("CUSTODES_NATIVE", "1") == "0":
        return None
    try:
        import custodes_native  # type: ignore[import-not-found]
    except ImportError:
        return None
    return custodes_native if getattr(custodes_native, "API", None) == API else None


NATIVE: ModuleType | None = load()
