"""The native Ed25519 check gives libsodium's verdict on every input.

`custodes_native.Ed25519Key(pk).verify(sig, msg)` replaces PyNaCl's
`crypto_sign_open` in `Trust.verify_checkpoint` when the extension is built,
and auditors may run without it: the two must agree on every signature, not
only on honest ones. libsodium (the build PyNaCl bundles) rejects a
non-canonical S (S >= L), an R of small order (by its encoding, sign bit
ignored, canonical or not), a public key that is non-canonical or of small
order, and accepts only when the encoding of [S]B - [h]A is the 32 bytes of R
(cofactorless). Each rule is exercised here by signatures built to pass all
the others, with the curve arithmetic done in plain Python (RFC 8032 §6), and
every verdict is compared with libsodium's, which must also be the expected one.
Those expected verdicts pin libsodium's own behaviour (the one the native code
reproduces) and are checked even without the extension; only the comparison
needs it (native_support: skipped when it is not built, a failure under CI=true
with cargo available).
"""
from __future__ import annotations

import base64
import hashlib
import pickle
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

from custodes import native as native_loader
from custodes import trust as trust_module
from custodes.signing import NodeKey
from custodes.trust import Trust

from . import native_support

native: Any = native_support.module()  # None: only libsodium's side of `agree` runs


@pytest.fixture(scope="module")
def needs_native() -> None:
    """For the tests that only compare the two verdicts: skip or fail without the extension."""
    native_support.require()

# --- Ed25519 in plain Python (RFC 8032 §6), for building test signatures ----
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T)
IDENTITY: Point = (0, 1, 1, 0)


def add(p: Point, q: Point) -> Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def mul(k: int, p: Point) -> Point:
    q = IDENTITY
    while k > 0:
        if k & 1:
            q = add(q, p)
        p, k = add(p, p), k >> 1
    return q


def neg(p: Point) -> Point:
    return (-p[0] % P, p[1], p[2], -p[3] % P)


def encode(p: Point) -> bytes:
    zinv = pow(p[2], P - 2, P)
    x, y = p[0] * zinv % P, p[1] * zinv % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def x_of(y: int, sign: int) -> int | None:
    """x with y on the curve and the given low bit (x = 0 keeps sign 0), or None."""
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    return P - x if x and (x & 1) != sign else x


def point(y: int, sign: int = 0) -> Point:
    x = x_of(y, sign)
    assert x is not None
    return (x, y, 1, x * y % P)


def equal(p: Point, q: Point) -> bool:
    return encode(p) == encode(q)


B = point(4 * pow(5, P - 2, P) % P, 0)
# The 8 points of small order: y = 1 (identity), -1 (order 2), 0 (order 4, two x),
# and the two y of order 8 (two x each).
Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022
TORSION = [point(y, s) for y, signs in ((1, [0]), (P - 1, [0]), (0, [0, 1]), (Y8, [0, 1]),
                                        (P - Y8, [0, 1])) for s in signs]
T8 = point(Y8, 0)


def scalar(data: bytes) -> int:
    return int.from_bytes(hashlib.sha512(data).digest(), "little")


def sign_raw(a: int, pk: bytes, msg: bytes, r_point: Point, r: int) -> bytes:
    """S = r + H(R || pk || msg) * a for a chosen R = (encoding of) r_point."""
    r_bytes = encode(r_point)
    s = (r + scalar(r_bytes + pk + msg) * a) % L
    return r_bytes + s.to_bytes(32, "little")


# --- the two verdicts ----------------------------------------------------------
def libsodium(sig: bytes, msg: bytes, pk: bytes) -> bool:
    try:
        crypto_sign_open(sig + msg, pk)
    except BadSignatureError:
        return False
    return True


def agree(sig: bytes, msg: bytes, pk: bytes, expected: bool | None = None) -> bool:
    """libsodium's verdict, which must be `expected` (if given), and the native
    verdicts (the one-shot function and a key object), which must be equal to it."""
    want = libsodium(sig, msg, pk)
    if expected is not None:
        assert want is expected, "libsodium's verdict is not the one the native code reproduces"
    if native is None:
        if native_support.must_be_built():
            pytest.fail(native_support.MISSING + "; under CI=true with cargo available this is a "
                        "failure", pytrace=False)
        return want
    assert native.ed25519_verify(sig, msg, pk) is want, (sig.hex(), msg.hex(), pk.hex())
    assert native.Ed25519Key(pk).verify(sig, msg) is want, (sig.hex(), msg.hex(), pk.hex())
    return want


rnd = random.Random(20260105)


def keypair() -> tuple[int, bytes]:
    a = rnd.randrange(1, L)
    return a, encode(mul(a, B))


def flip(data: bytes, i: int, bits: int) -> bytes:
    return data[:i] + bytes([data[i] ^ bits]) + data[i + 1:]


# --- honest signatures and their corruptions -----------------------------------
def test_random_valid_signatures() -> None:
    for n in range(200):
        seed = rnd.randbytes(32)
        pk, sk = crypto_sign_seed_keypair(seed)
        msg = rnd.randbytes(32 if n % 2 else rnd.randrange(0, 200))
        assert agree(crypto_sign(msg, sk)[:64], msg, pk, expected=True)


def test_each_byte_of_r_s_key_and_message_flipped() -> None:
    for _ in range(3):
        pk, sk = crypto_sign_seed_keypair(rnd.randbytes(32))
        msg = rnd.randbytes(32)
        sig = crypto_sign(msg, sk)[:64]
        for i in range(64):
            for bits in (0x01, 0x80, rnd.randrange(1, 256)):
                agree(flip(sig, i, bits), msg, pk, expected=False)
        for i in range(32):
            for bits in (0x01, 0x80, rnd.randrange(1, 256)):
                agree(sig, msg, flip(pk, i, bits), expected=False)
                agree(sig, flip(msg, i, bits), pk, expected=False)
        agree(sig, msg + b"\0", pk, expected=False)
        agree(sig, msg[:-1], pk, expected=False)


def test_the_signatures_node_keys_make() -> None:
    key = NodeKey.from_seed("DE", "DE-1", b"native")
    for i in range(20):
        head = hashlib.sha256(b"%d" % i).hexdigest()
        sig = base64.b64decode(key.sign_head(head))
        agree(sig, bytes.fromhex(head), key.public_key_bytes, expected=True)


# --- S ------------------------------------------------------------------------
def test_non_canonical_s() -> None:
    for _ in range(5):
        a, pk = keypair()
        msg = rnd.randbytes(32)
        r = rnd.randrange(1, L)
        sig = sign_raw(a, pk, msg, mul(r, B), r)
        agree(sig, msg, pk, expected=True)
        s = int.from_bytes(sig[32:], "little")
        for k in range(1, 16):  # S + kL: the same point, but S >= L
            if s + k * L < 2**256:
                agree(sig[:32] + (s + k * L).to_bytes(32, "little"), msg, pk, expected=False)
        for bad in (L, L + 1, L - 1, 2**252, 2**253 - 1, 2**255, 2**256 - 1, 0):
            agree(sig[:32] + bad.to_bytes(32, "little"), msg, pk, expected=False)


# --- R --------------------------------------------------------------------------
def small_order_encodings() -> list[bytes]:
    """Every 32 bytes whose y (bit 255 aside) is that of a small-order point, incl. y >= p."""
    out = []
    for y in (0, 1, Y8, P - Y8, P - 1, P, P + 1):
        for sign in (0, 1):
            out.append((y | sign << 255).to_bytes(32, "little"))
    return out


def test_small_order_r_is_rejected_even_when_the_equation_holds() -> None:
    # A key with a torsion component, A = [a]B + T8 (canonical, not of small
    # order: libsodium takes it), makes [S]B - [h]A = [S - ha]B - [h]T8; with
    # S = ha that is -[h]T8, a small-order point that depends on h mod 8. For
    # each small-order R, try messages until -[h]T8 is R itself: the
    # cofactorless equation then holds byte for byte, and only the small-order
    # rule rejects.
    a = rnd.randrange(1, L)
    pk = encode(add(mul(a, B), T8))
    for t in TORSION:
        r_bytes = encode(t)
        for _ in range(400):
            msg = rnd.randbytes(32)
            h = scalar(r_bytes + pk + msg) % L
            if equal(neg(mul(h, T8)), t):
                break
        else:
            raise AssertionError("no message found")
        sig = r_bytes + (h * a % L).to_bytes(32, "little")
        # the equation itself holds: R == [S]B - [h]A
        assert equal(add(mul(h * a % L, B), neg(mul(h, point_of(pk)))), t)
        agree(sig, msg, pk, expected=False)
    for r_bytes in small_order_encodings():
        for _ in range(3):
            msg = rnd.randbytes(32)
            agree(r_bytes + rnd.randrange(L).to_bytes(32, "little"), msg, pk, expected=False)


def point_of(pk: bytes) -> Point:
    y = int.from_bytes(pk, "little")
    return point(y & (2**255 - 1), y >> 255)


def test_identity_r_with_s_equal_to_h_times_a() -> None:
    # [S]B - [h]A = identity = R: valid by the cofactorless equation, rejected by libsodium.
    for _ in range(5):
        a, pk = keypair()
        msg = rnd.randbytes(32)
        r_bytes = encode(IDENTITY)
        h = scalar(r_bytes + pk + msg) % L
        agree(r_bytes + (h * a % L).to_bytes(32, "little"), msg, pk, expected=False)
        # the same with the sign bit set on the identity's encoding
        r_bytes = (1 | 1 << 255).to_bytes(32, "little")
        h = scalar(r_bytes + pk + msg) % L
        agree(r_bytes + (h * a % L).to_bytes(32, "little"), msg, pk, expected=False)


def test_torsion_shifted_r() -> None:
    # R' = R + T: [8]R' = [8]([S]B - [h]A) holds (cofactored-valid) but the
    # bytes of R' are not those of [S]B - [h]A (cofactorless-invalid).
    for t in TORSION[1:]:
        a, pk = keypair()
        msg = rnd.randbytes(32)
        r = rnd.randrange(1, L)
        agree(sign_raw(a, pk, msg, add(mul(r, B), t), r), msg, pk, expected=False)


def test_r_not_on_the_curve_and_r_sign_flipped() -> None:
    a, pk = keypair()
    msg = rnd.randbytes(32)
    r = rnd.randrange(1, L)
    sig = sign_raw(a, pk, msg, mul(r, B), r)
    agree(sig, msg, pk, expected=True)
    agree(flip(sig, 31, 0x80), msg, pk, expected=False)
    y = 2
    while x_of(y, 0) is not None:
        y += 1
    agree(y.to_bytes(32, "little") + sig[32:], msg, pk, expected=False)


# --- the public key ----------------------------------------------------------------
def test_small_order_and_non_canonical_public_keys() -> None:
    # For a key A of small order, [h]A depends on h mod 8 only: with R = [r]B - [c]A
    # and messages tried until [h]A = [c]A, S = r makes the cofactorless equation
    # hold byte for byte, and R is of large order: only the key rule rejects.
    keys = small_order_encodings() + [b"\xff" * 32, b"\x00" * 31 + b"\x80"]
    keys += [((P + k) | s << 255).to_bytes(32, "little") for k in range(19) for s in (0, 1)]
    tried = 0
    for pk in keys:
        y = int.from_bytes(pk, "little")
        x = x_of((y & (2**255 - 1)) % P, y >> 255)
        msg = rnd.randbytes(32)
        agree(encode(mul(rnd.randrange(1, L), B)) + rnd.randrange(L).to_bytes(32, "little"),
              msg, pk, expected=False)
        if x is None:
            continue
        a_point = point_of_any(pk)
        if not equal(mul(8, a_point), IDENTITY):
            continue  # a large-order point (y = k < 19 written as p + k): see below
        tried += 1
        r = rnd.randrange(1, L)
        for _ in range(400):
            c = rnd.randrange(8)
            r_point = add(mul(r, B), neg(mul(c, a_point)))
            msg = rnd.randbytes(32)
            h = scalar(encode(r_point) + pk + msg) % L
            if equal(mul(h, a_point), mul(c, a_point)):
                break
        else:
            raise AssertionError("no message found")
        sig = encode(r_point) + r.to_bytes(32, "little")
        assert equal(add(mul(r, B), neg(mul(h, a_point))), r_point)  # the equation holds
        agree(sig, msg, pk, expected=False)
    assert tried >= 14  # the 8 small-order points, sign variants, y = p and p + 1


def point_of_any(pk: bytes) -> Point:
    """The point libsodium reads from any 32 bytes that decode (y taken mod p)."""
    y = int.from_bytes(pk, "little")
    return point((y & (2**255 - 1)) % P, y >> 255)


def test_non_canonical_key_of_a_point_of_large_order() -> None:
    # y = p + k for small k is a non-canonical encoding of y = k; for those k on
    # the curve whose point is not of small order, libsodium rejects the key.
    msg = rnd.randbytes(32)
    found = 0
    for k in range(2, 19):
        for s in (0, 1):
            if x_of(k, s) is None:
                continue
            found += 1
            pk = ((P + k) | s << 255).to_bytes(32, "little")
            a_point = point(k, s)
            # a signature that verifies for the canonical encoding's point would need
            # its discrete log; use [S]B - [h]A with R = that point, any S
            r_point = add(mul(rnd.randrange(L), B), neg(a_point))
            agree(encode(r_point) + rnd.randrange(L).to_bytes(32, "little"), msg, pk,
                  expected=False)
    assert found > 0


def test_mixed_order_public_keys_agree() -> None:
    # A = [a]B + T (T of small order) is canonical and not of small order, so
    # libsodium takes it; an honest signature then verifies cofactorlessly
    # exactly when [h]T is the identity. Both must say so for every h.
    seen = set()
    for n in range(160):
        t = TORSION[1 + n % 7]
        a = rnd.randrange(1, L)
        pk = encode(add(mul(a, B), t))
        msg = rnd.randbytes(32)
        r = rnd.randrange(1, L)
        sig = sign_raw(a, pk, msg, mul(r, B), r)
        h = scalar(sig[:32] + pk + msg) % L
        expected = equal(mul(h, t), IDENTITY)
        seen.add(agree(sig, msg, pk, expected=expected))
    assert seen == {True, False}


# --- hypothesis ---------------------------------------------------------------------
HYP = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_PK, _SK = crypto_sign_seed_keypair(b"\x07" * 32)


@pytest.mark.usefixtures("needs_native")
@HYP
@given(st.binary(min_size=64, max_size=64), st.binary(max_size=64), st.binary(min_size=32, max_size=32))
def test_arbitrary_bytes(sig: bytes, msg: bytes, pk: bytes) -> None:
    agree(sig, msg, pk)


@pytest.mark.usefixtures("needs_native")
@HYP
@given(st.binary(max_size=48), st.lists(st.tuples(st.integers(0, 127), st.integers(1, 255)),
                                         max_size=3),
       st.sampled_from(["sig", "pk", "msg", "none"]))
def test_mutated_signatures(msg: bytes, edits: list[tuple[int, int]], where: str) -> None:
    sig, pk = crypto_sign(msg, _SK)[:64], _PK
    for i, bits in edits:
        if where == "sig":
            sig = flip(sig, i % 64, bits)
        elif where == "pk":
            pk = flip(pk, i % 32, bits)
        elif where == "msg" and msg:
            msg = flip(msg, i % len(msg), bits)
    agree(sig, msg, pk)


@pytest.mark.usefixtures("needs_native")
def test_lengths_are_checked() -> None:
    with pytest.raises(ValueError):
        native.Ed25519Key(b"\0" * 31)
    with pytest.raises(ValueError):
        native.Ed25519Key(_PK).verify(b"\0" * 63, b"")
    with pytest.raises(ValueError):
        native.ed25519_verify(b"\0" * 64, b"", b"\0" * 33)


# --- Trust.verify_checkpoint on both paths -------------------------------------------
@pytest.fixture(params=["native", "libsodium"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    module = native_support.require() if request.param == "native" else None
    monkeypatch.setattr(trust_module, "_Ed25519Key", module.Ed25519Key if module else None)
    return str(request.param)


def test_trust_uses_the_chosen_path(path: str) -> None:
    key = NodeKey.from_seed("DE", "DE-1", b"x")
    trust = Trust({"DE": (key.key_id, key.public_key_bytes)})
    assert (trust._keys["DE"][2] is not None) is (path == "native")


def test_verify_checkpoint_verdicts(path: str) -> None:
    key = NodeKey.from_seed("DE", "DE-1", b"x")
    trust = Trust({"DE": (key.key_id, key.public_key_bytes)})
    head = "ab" * 32
    good = key.sign_head(head)
    assert trust.verify_checkpoint("DE", "DE-1", head, good) is None
    raw = base64.b64decode(good)
    s = int.from_bytes(raw[32:], "little")
    for bad in (flip(raw, 0, 1), flip(raw, 40, 1), raw[:32] + (s + L).to_bytes(32, "little"),
                encode(IDENTITY) + raw[32:]):
        assert trust.verify_checkpoint("DE", "DE-1", head, base64.b64encode(bad).decode()) == \
            "signature does not verify"
    assert trust.verify_checkpoint("DE", "DE-1", "cd" * 32, good) == "signature does not verify"
    small = Trust({"DE": ("DE-1", encode(IDENTITY))})
    assert small.verify_checkpoint("DE", "DE-1", head, good) == "signature does not verify"


def test_trust_pickles_on_both_paths(path: str) -> None:
    # A Trust crosses process boundaries (multiprocessing, copy.deepcopy): a
    # native key pickles as its public key and is read again on the other side.
    key = NodeKey.from_seed("DE", "DE-1", b"x")
    trust = Trust({"DE": (key.key_id, key.public_key_bytes)}, origin="t.toml")
    head = "ab" * 32
    good = key.sign_head(head)
    bad = base64.b64encode(flip(base64.b64decode(good), 3, 1)).decode()
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(trust, protocol=protocol))
        assert again.nodes == trust.nodes and again.origin == "t.toml"
        assert (again._keys["DE"][2] is not None) is (path == "native")
        assert again.verify_checkpoint("DE", "DE-1", head, good) is None
        assert again.verify_checkpoint("DE", "DE-1", head, bad) == "signature does not verify"


@pytest.mark.usefixtures("needs_native")
def test_native_key_pickles_as_its_public_key() -> None:
    pk, sk = crypto_sign_seed_keypair(b"\x05" * 32)
    key = native.Ed25519Key(pk)
    assert key.public_key == pk
    sig = crypto_sign(b"m", sk)[:64]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(key, protocol=protocol))
        assert type(again) is native.Ed25519Key and again.public_key == pk
        assert again.verify(sig, b"m") is True and again.verify(sig, b"n") is False
    small = pickle.loads(pickle.dumps(native.Ed25519Key(encode(IDENTITY))))
    assert small.verify(sig, b"m") is False  # a refused key stays refused


# --- custodes/native.py's load-time self-check ---------------------------------------
def test_the_self_check_signature_is_torsion_shifted() -> None:
    # custodes/native.py refuses the extension if libsodium accepts this
    # signature: it must be cofactored-valid and cofactorless-invalid.
    pk, msg, sig = native_loader.TORSION_PK, native_loader.TORSION_MSG, native_loader.TORSION_SIG
    r_point, a_point = point_of(sig[:32]), point_of(pk)
    s = int.from_bytes(sig[32:], "little")
    assert s < L
    h = scalar(sig[:32] + pk + msg) % L
    check = add(mul(s, B), neg(mul(h, a_point)))  # [S]B - [h]A
    assert equal(mul(8, check), mul(8, r_point))  # cofactored: valid
    assert not equal(check, r_point)  # cofactorless: invalid
    assert not equal(mul(8, r_point), IDENTITY)  # R itself is not of small order
    assert not equal(mul(8, a_point), IDENTITY)
    agree(sig, msg, pk, expected=False)
    assert native_loader.libsodium_accepts(sig, msg, pk) is False
