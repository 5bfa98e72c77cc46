//! `custodes_native`: optional native twins of two hot spots of a Custodes replay.
//!
//! Both functions give exactly the verdicts of the pure-Python code they
//! replace (custodes/native.py loads this module when it is built; nothing
//! depends on it being there):
//!
//! * `Ed25519Key(public_key).verify(signature, message)` and
//!   `ed25519_verify(signature, message, public_key)`: libsodium's
//!   `crypto_sign_verify_detached` (the one PyNaCl bundles), written out on
//!   curve25519-dalek's arithmetic. See `verify`.
//! * `canonical_sha256(line)`: the hex SHA-256 of `line` (trailing JSON
//!   whitespace excluded) when the line is already the canonical JSON of its
//!   value (what `orjson.dumps(orjson.loads(line), option=OPT_SORT_KEYS)`
//!   gives), else None. See `canonical_end`.
//!
//! tests/unit/kernel/test_native_*.py check both against the reference
//! (PyNaCl, orjson) differentially.

#![cfg_attr(not(feature = "extension-module"), allow(dead_code))]

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

/// Bumped when a function's contract changes: custodes/native.py refuses a
/// module built from other sources than the Python side expects.
const API: u32 = 2;

/// The hash of the crate's sources this module was built from, which
/// scripts/setup.sh computes (`custodes.native.sources_hash`) and passes as
/// CUSTODES_NATIVE_SOURCES (cargo rebuilds when it changes); None when built
/// without it. custodes/native.py refuses a module whose hash is not that of
/// the checkout's native/ (a stale build after a pull).
const SOURCES: Option<&str> = option_env!("CUSTODES_NATIVE_SOURCES");

// --- Ed25519: libsodium's verdicts ----------------------------------------

/// libsodium's `ge25519_has_small_order(const unsigned char s[32])` table: the
/// encodings (bit 255, the sign of x, ignored) of the points of order 1, 2, 4
/// and 8, canonical or not (y = 0, 1, the two y of order 8, p - 1, p, p + 1).
const SMALL_ORDER: [[u8; 32]; 7] = [
    // 0 (order 4)
    [0; 32],
    // 1 (order 1)
    [
        0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0,
    ],
    // 2707385501144840649318225287225658788936804267575313519463743609750303402022 (order 8)
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    // 55188659117513257062467267217118295137698188065244968500265048394206261417927 (order 8)
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    // p - 1 (order 2)
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p (= 0, order 4)
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p + 1 (= 1, order 1)
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// Whether the 32 bytes encode (sign bit ignored) a point of small order.
fn small_order_encoding(s: &[u8; 32]) -> bool {
    SMALL_ORDER
        .iter()
        .any(|bad| s[..31] == bad[..31] && (s[31] & 0x7f) == bad[31])
}

/// libsodium's `ge25519_is_canonical`: false when y (bit 255 ignored) >= p = 2^255 - 19.
fn canonical_encoding(s: &[u8; 32]) -> bool {
    !((s[31] & 0x7f) == 0x7f && s[1..31].iter().all(|&b| b == 0xff) && s[0] >= 0xed)
}

/// A public key as libsodium's verification reads it: None when libsodium
/// rejects every signature under it (not canonical, small order, or no point).
/// The point is stored negated, as `ge25519_frombytes_negate_vartime` does.
fn public_point(pk: &[u8; 32]) -> Option<EdwardsPoint> {
    if !canonical_encoding(pk) || small_order_encoding(pk) {
        return None;
    }
    CompressedEdwardsY(*pk).decompress().map(|a| -a)
}

/// `crypto_sign_ed25519_verify_detached` of libsodium (non-ED25519_COMPAT
/// build; the variant PyNaCl bundles), for a public key already read by
/// `public_point`:
///
/// 1. S must be canonical (S < L): `sc25519_is_canonical`;
/// 2. R must not be a small-order encoding (the byte table, sign ignored);
/// 3. the key must be canonical, not of small order, and a point (`public_point`);
/// 4. h = SHA-512(R || A || M) mod L, R' = [S]B + [h](-A), and the signature
///    holds when the canonical encoding of R' equals the 32 bytes of R
///    (cofactorless, on the bytes: a non-canonical R or R + a torsion point
///    never verifies).
fn verify(neg_a: &EdwardsPoint, pk: &[u8; 32], sig: &[u8; 64], msg: &[u8]) -> bool {
    let r: &[u8; 32] = sig[..32].try_into().expect("32 bytes");
    let s_bytes: [u8; 32] = sig[32..].try_into().expect("32 bytes");
    let s: Option<Scalar> = Scalar::from_canonical_bytes(s_bytes).into();
    let Some(s) = s else { return false };
    if small_order_encoding(r) {
        return false;
    }
    let mut hasher = Sha512::new();
    hasher.update(r);
    hasher.update(pk);
    hasher.update(msg);
    let h = Scalar::from_bytes_mod_order_wide(&hasher.finalize().into());
    let check = EdwardsPoint::vartime_double_scalar_mul_basepoint(&h, neg_a, &s);
    check.compress().as_bytes() == r
}

// --- canonical JSON lines ------------------------------------------------

/// orjson's `dumps` raises "Recursion limit reached" from 255 nested containers.
const MAX_DEPTH: u32 = 254;

/// A reader that accepts exactly the bytes orjson's sorted-key `dumps` writes.
struct Canonical<'a> {
    b: &'a [u8],
    i: usize,
    /// OR of the bytes inside strings seen so far: bit 7 set when any is not
    /// ASCII, and the line's UTF-8 must then be checked (`canonical_end`).
    high: u8,
}

/// The index of the first byte at or after `i` that ends a run of plain string
/// bytes: '"', '\\' or a control character below 0x20 (`b.len()` if none).
/// ORs the bytes it passes (and possibly a few after) into `high`.
#[inline]
fn plain_run(b: &[u8], mut i: usize, high: &mut u8) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86_64; every load reads 16 bytes within `b`.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let control = _mm_set1_epi8(0x1f);
            let mut seen = _mm_setzero_si128();
            while i + 16 <= b.len() {
                let x = _mm_loadu_si128(b.as_ptr().add(i) as *const __m128i);
                seen = _mm_or_si128(seen, x);
                let stop = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                    _mm_cmpeq_epi8(_mm_min_epu8(x, control), x), // x <= 0x1f
                );
                let mask = _mm_movemask_epi8(stop) as u32;
                if mask != 0 {
                    i += mask.trailing_zeros() as usize;
                    break;
                }
                i += 16;
            }
            if _mm_movemask_epi8(seen) != 0 {
                *high |= 0x80;
            }
            if i + 16 <= b.len() {
                return i; // stopped inside a block
            }
        }
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        *high |= c;
        i += 1;
    }
    i
}

impl Canonical<'_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn value(&mut self, depth: u32) -> bool {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.integer(),
            _ => false,
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// An integer as orjson writes it: no "-0", no leading zero, within
    /// [-2^63, 2^64 - 1] (outside it orjson reads a float). A fraction or an
    /// exponent is a float: refused (orjson's float text is not reproduced
    /// here; events hold no floats, and None only means "take the long way").
    fn integer(&mut self) -> bool {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let digits = &self.b[start..self.i];
        if digits.is_empty() || (digits[0] == b'0' && (digits.len() > 1 || negative)) {
            return false;
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return false;
        }
        let limit: &[u8] = if negative {
            b"9223372036854775808"
        } else {
            b"18446744073709551615"
        };
        digits.len() < limit.len() || (digits.len() == limit.len() && digits <= limit)
    }

    /// A string as orjson writes it; returns (start, end, escaped) of its body.
    /// Raw UTF-8 (valid, no surrogates), no raw control character, and only
    /// the escapes orjson emits: \" \\ \b \t \n \f \r, \u00xx (lowercase hex)
    /// for the other controls below 0x20.
    fn string(&mut self) -> Option<(usize, usize, bool)> {
        self.i += 1; // the opening quote
        let start = self.i;
        let b = self.b;
        let mut escaped = false;
        loop {
            self.i = plain_run(b, self.i, &mut self.high);
            match *b.get(self.i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match *b.get(self.i + 1)? {
                        b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => self.i += 2,
                        b'u' => {
                            let code = b.get(self.i + 2..self.i + 6)?;
                            let low = |d: u8| match d {
                                b'0'..=b'9' => Some(d - b'0'),
                                b'a'..=b'f' => Some(d - b'a' + 10),
                                _ => None,
                            };
                            if code[0] != b'0' || code[1] != b'0' {
                                return None;
                            }
                            let v = low(code[2])? * 16 + low(code[3])?;
                            if v >= 0x20 || matches!(v, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return None;
                            }
                            self.i += 6;
                        }
                        _ => return None,
                    }
                }
                _ => return None, // a raw control character
            }
        }
        let end = self.i;
        self.i += 1; // the closing quote
        Some((start, end, escaped))
    }

    fn array(&mut self, depth: u32) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        self.i += 1;
        if self.peek() == Some(b']') {
            self.i += 1;
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    fn object(&mut self, depth: u32) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        self.i += 1;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return true;
        }
        let mut previous: Option<(usize, usize, bool)> = None;
        loop {
            if self.peek() != Some(b'"') {
                return false;
            }
            let Some(key) = self.string() else {
                return false;
            };
            if let Some(before) = previous {
                if !self.key_before(before, key) {
                    return false; // keys out of order, or a duplicate
                }
            }
            previous = Some(key);
            if self.peek() != Some(b':') {
                return false;
            }
            self.i += 1;
            if !self.value(depth) {
                return false;
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    /// Whether key `a` sorts strictly before key `b` by code point (UTF-8 byte
    /// order of the decoded text, as orjson's OPT_SORT_KEYS sorts).
    fn key_before(&self, a: (usize, usize, bool), b: (usize, usize, bool)) -> bool {
        let (ra, rb) = (&self.b[a.0..a.1], &self.b[b.0..b.1]);
        if !a.2 && !b.2 {
            return ra < rb;
        }
        unescape(ra) < unescape(rb)
    }
}

/// The text of a string body that `Canonical::string` accepted.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        let (c, len) = match raw[i + 1] {
            b'b' => (0x08, 2),
            b't' => (0x09, 2),
            b'n' => (0x0a, 2),
            b'f' => (0x0c, 2),
            b'r' => (0x0d, 2),
            b'u' => {
                let hex = |d: u8| {
                    if d.is_ascii_digit() {
                        d - b'0'
                    } else {
                        d - b'a' + 10
                    }
                };
                (hex(raw[i + 4]) * 16 + hex(raw[i + 5]), 6)
            }
            other => (other, 2), // \" and \\
        };
        out.push(c);
        i += len;
    }
    out
}

/// The length of `line` without its trailing JSON whitespace, when those bytes
/// are exactly `orjson.dumps(orjson.loads(line), option=OPT_SORT_KEYS)`; else
/// None. Also None for a float anywhere in the value (see `integer`).
fn canonical_end(line: &[u8]) -> Option<usize> {
    let text = trimmed(line);
    let mut reader = Canonical {
        b: text,
        i: 0,
        high: 0,
    };
    if !(reader.value(0) && !text.is_empty()) {
        return None;
    }
    read_whole(&reader, text)
}

/// `line` without its trailing JSON whitespace (space, tab, LF, CR).
fn trimmed(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b' ' | b'\t' | b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// `Some(text.len())` when the reader, done with one value, stopped at the end
/// of `text` and `text` is valid UTF-8; else None.
fn read_whole(reader: &Canonical, text: &[u8]) -> Option<usize> {
    if reader.i != text.len() {
        return None;
    }
    // Non-ASCII bytes can only be inside strings (anywhere else the reader
    // stops): valid UTF-8 without surrogates, as orjson.loads requires.
    if reader.high >= 0x80 && std::str::from_utf8(text).is_err() {
        return None;
    }
    Some(text.len())
}

fn hex(digest: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(digest.len() * 2);
    for &b in digest {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

// --- the envelope's id and prevhash, checked on the same scan -------------

/// `canonical_end`, when the line is moreover a JSON object whose top-level
/// "id" is a string of the UUID shape the codec requires (`codec._UUID`:
/// 8-4-4-4-12 hex digits, either case) and whose top-level "prevhash" is 64
/// lowercase hex digits (`codec._HEX64`); else None. Both are judged on the
/// raw string bodies: a body with an escape has a backslash, which neither
/// shape allows, so a body that passes is the decoded text itself.
fn canonical_event_end(line: &[u8]) -> Option<usize> {
    let text = trimmed(line);
    let mut reader = Canonical {
        b: text,
        i: 0,
        high: 0,
    };
    let (id, prevhash) = reader.top_level_id_and_prevhash()?;
    let end = read_whole(&reader, text)?;
    if !is_uuid(&text[id.0..id.1]) || !is_hex64_lower(&text[prevhash.0..prevhash.1]) {
        return None;
    }
    Some(end)
}

/// 36 bytes: hex digits (either case) grouped 8-4-4-4-12 by '-'.
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// 64 bytes of lowercase hex digits.
fn is_hex64_lower(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(|&c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

impl Canonical<'_> {
    /// `value(0)` for a line that must be an object (what `object(1)` checks),
    /// also giving the (start, end) of the string bodies of its top-level "id"
    /// and "prevhash"; None when the object is not canonical or either of the
    /// two is missing or not a string.
    fn top_level_id_and_prevhash(&mut self) -> Option<((usize, usize), (usize, usize))> {
        if self.peek() != Some(b'{') {
            return None;
        }
        self.i += 1;
        let (mut id, mut prevhash) = (None, None);
        let mut previous: Option<(usize, usize, bool)> = None;
        loop {
            if self.peek() != Some(b'"') {
                return None; // also an empty object: no id
            }
            let key = self.string()?;
            if let Some(before) = previous {
                if !self.key_before(before, key) {
                    return None; // keys out of order, or a duplicate
                }
            }
            previous = Some(key);
            if self.peek() != Some(b':') {
                return None;
            }
            self.i += 1;
            let name = &self.b[key.0..key.1];
            if (name == b"id" || name == b"prevhash") && self.peek() == Some(b'"') {
                let (start, end, _) = self.string()?;
                if name == b"id" {
                    id = Some((start, end));
                } else {
                    prevhash = Some((start, end));
                }
            } else if !self.value(1) {
                return None;
            }
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Some((id?, prevhash?));
                }
                _ => return None,
            }
        }
    }
}

/// The Python module (left out by `cargo test --no-default-features`, which
/// then needs no Python to build and test the functions above).
#[cfg(feature = "extension-module")]
mod python {
    use super::{canonical_end, hex, public_point, verify, EdwardsPoint, API, SOURCES};
    use pyo3::exceptions::PyValueError;
    use pyo3::prelude::*;
    use pyo3::types::{PyBytes, PyString, PyType};
    use sha2::{Digest, Sha256};

    fn array<const N: usize>(value: &[u8], what: &str) -> PyResult<[u8; N]> {
        value.try_into().map_err(|_| {
            PyValueError::new_err(format!("{what} must be {N} bytes, got {}", value.len()))
        })
    }

    /// An Ed25519 public key read once, for verifying many signatures under it.
    #[pyclass(frozen, module = "custodes_native")]
    struct Ed25519Key {
        pk: [u8; 32],
        neg_a: Option<EdwardsPoint>,
    }

    #[pymethods]
    impl Ed25519Key {
        #[new]
        fn new(public_key: &[u8]) -> PyResult<Self> {
            let pk = array::<32>(public_key, "an Ed25519 public key")?;
            Ok(Ed25519Key {
                pk,
                neg_a: public_point(&pk),
            })
        }

        /// Pickled as its public key: `Ed25519Key(public_key)` again.
        fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (Bound<'py, PyBytes>,)) {
            (slf.get_type(), (PyBytes::new(slf.py(), &slf.get().pk),))
        }

        /// The 32 bytes of the public key.
        #[getter]
        fn public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
            PyBytes::new(py, &self.pk)
        }

        /// Whether libsodium's `crypto_sign_verify_detached(signature, message, key)` accepts.
        fn verify(&self, signature: &[u8], message: &[u8]) -> PyResult<bool> {
            let sig = array::<64>(signature, "an Ed25519 signature")?;
            Ok(match &self.neg_a {
                Some(neg_a) => verify(neg_a, &self.pk, &sig, message),
                None => false,
            })
        }
    }

    /// `Ed25519Key(public_key).verify(signature, message)` in one call.
    #[pyfunction]
    fn ed25519_verify(signature: &[u8], message: &[u8], public_key: &[u8]) -> PyResult<bool> {
        Ed25519Key::new(public_key)?.verify(signature, message)
    }

    /// Hex SHA-256 of the line (trailing whitespace excluded) if it is already
    /// canonical JSON (see `canonical_end`), else None; None too for anything but bytes.
    #[pyfunction]
    fn canonical_sha256<'py>(line: &Bound<'py, PyAny>) -> Option<Bound<'py, PyString>> {
        let bytes = line.downcast_exact::<PyBytes>().ok()?.as_bytes();
        let end = canonical_end(bytes)?;
        let digest = Sha256::digest(&bytes[..end]);
        Some(PyString::new(line.py(), &hex(&digest)))
    }

    /// `canonical_sha256` for a line that is moreover an event object whose
    /// top-level "id" has the UUID shape and "prevhash" is 64 lowercase hex
    /// digits (see `canonical_event_end`), else None.
    #[pyfunction]
    fn canonical_event_sha256<'py>(line: &Bound<'py, PyAny>) -> Option<Bound<'py, PyString>> {
        let bytes = line.downcast_exact::<PyBytes>().ok()?.as_bytes();
        let end = super::canonical_event_end(bytes)?;
        let digest = Sha256::digest(&bytes[..end]);
        Some(PyString::new(line.py(), &hex(&digest)))
    }

    #[pymodule]
    fn custodes_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("API", API)?;
        m.add("SOURCES", SOURCES)?;
        m.add_class::<Ed25519Key>()?;
        m.add_function(wrap_pyfunction!(ed25519_verify, m)?)?;
        m.add_function(wrap_pyfunction!(canonical_sha256, m)?)?;
        m.add_function(wrap_pyfunction!(canonical_event_sha256, m)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_examples() {
        assert_eq!(canonical_end(b"{\"a\":1,\"b\":[true,null]}\n"), Some(23));
        assert_eq!(canonical_end(b"{\"b\":1,\"a\":2}"), None);
        assert_eq!(canonical_end(b"{\"a\":1,\"a\":1}"), None);
        assert_eq!(canonical_end(b"-0"), None);
        assert_eq!(canonical_end(b"1.0"), None);
        assert_eq!(canonical_end(b"\"\\u0041\""), None);
        assert_eq!(canonical_end(b"\"\\u001f\\n\""), Some(10));
        assert_eq!(canonical_end(b"18446744073709551615"), Some(20));
        assert_eq!(canonical_end(b"18446744073709551616"), None);
        assert_eq!(canonical_end(b"-9223372036854775808"), Some(20));
        assert_eq!(canonical_end(b"-9223372036854775809"), None);
        assert_eq!(canonical_end(b""), None);
        assert_eq!(canonical_end(b" 1"), None);
    }

    fn y_bytes(low: u8, sign: bool) -> [u8; 32] {
        // p + k for k = low - 0xed (little endian: 0xed.., 0xff x 30, 0x7f)
        let mut s = [0xffu8; 32];
        s[0] = low;
        s[31] = 0x7f | if sign { 0x80 } else { 0 };
        s
    }

    #[test]
    fn public_keys_from_p_up_are_not_canonical() {
        // y = p - 1 is the last canonical y; p .. 2^255 - 1 (any sign) are not,
        // and libsodium rejects such a key even where y - p is a point of large
        // order (which no test signature can show: it needs the discrete log).
        assert!(canonical_encoding(&y_bytes(0xec, false)));
        assert!(canonical_encoding(&y_bytes(0xec, true)));
        let mut large_order = 0;
        for low in 0xed..=0xff {
            for sign in [false, true] {
                let pk = y_bytes(low, sign);
                assert!(!canonical_encoding(&pk));
                assert!(public_point(&pk).is_none());
                if let Some(p) = CompressedEdwardsY(pk).decompress() {
                    if !p.is_small_order() {
                        large_order += 1; // dalek alone would take this key
                    }
                }
            }
        }
        assert!(large_order > 0);
        for i in 0..32 {
            let mut pk = [0x55u8; 32];
            pk[i] = 0xff;
            assert!(canonical_encoding(&pk));
        }
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc8032_test_vectors() {
        let cases = [
            ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
             "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
            ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
             "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        ];
        for (pk, msg, sig) in cases {
            let pk: [u8; 32] = unhex(pk).try_into().unwrap();
            let sig: [u8; 64] = unhex(sig).try_into().unwrap();
            let neg_a = public_point(&pk).expect("a usable key");
            assert!(verify(&neg_a, &pk, &sig, &unhex(msg)));
            assert!(!verify(&neg_a, &pk, &sig, b"other"));
        }
        assert_eq!(hex(&[0x00, 0x9f, 0xff]), "009fff");
    }

    #[test]
    fn small_order_table_is_libsodiums() {
        // every entry is y of a small-order point: [8]P is the identity
        for enc in &SMALL_ORDER[..5] {
            let p = CompressedEdwardsY(*enc).decompress().expect("on the curve");
            assert!(p.is_small_order());
        }
    }
}

#[cfg(test)]
mod event_tests {
    use super::{canonical_end, canonical_event_end};

    const ID: &str = "6f1d3c52-52a4-4c39-9a57-3c0f2f0e6b1d";

    fn line(id: &str, prevhash: &str) -> Vec<u8> {
        format!("{{\"data\":{{\"id\":\"x\",\"prevhash\":1}},\"id\":\"{id}\",\"prevhash\":\"{prevhash}\",\"seq\":1}}")
            .into_bytes()
    }

    #[test]
    fn envelope_fields_and_canonical_form() {
        let ok = line(ID, &"0a".repeat(32));
        assert_eq!(canonical_event_end(&ok), canonical_end(&ok));
        assert!(canonical_event_end(&ok).is_some());
        let upper = line(&ID.to_uppercase(), &"0a".repeat(32));
        assert!(canonical_event_end(&upper).is_some());
        for bad in [
            line(&ID[..35], &"0a".repeat(32)),
            line(&ID.replace('-', "0"), &"0a".repeat(32)),
            line(&format!("{}g", &ID[..35]), &"0a".repeat(32)),
            line(ID, &"0A".repeat(32)),
            line(ID, &"0a".repeat(31)),
            line(ID, &format!("\\u0030{}", &"0a".repeat(31))),
        ] {
            assert_eq!(
                canonical_event_end(&bad),
                None,
                "{}",
                String::from_utf8_lossy(&bad)
            );
        }
        // not canonical, not an object, a field missing or not a string
        assert_eq!(
            canonical_event_end(b"{\"prevhash\":\"00\",\"id\":\"x\"}"),
            None
        );
        assert_eq!(canonical_event_end(b"[1]"), None);
        assert_eq!(canonical_event_end(b"{}"), None);
        let no_prevhash = format!("{{\"id\":\"{ID}\"}}");
        assert_eq!(canonical_event_end(no_prevhash.as_bytes()), None);
        let number = format!("{{\"id\":\"{ID}\",\"prevhash\":1}}");
        assert_eq!(canonical_event_end(number.as_bytes()), None);
        let mut trailing = ok.clone();
        trailing.extend_from_slice(b" \n");
        assert_eq!(canonical_event_end(&trailing), Some(ok.len()));
        trailing.extend_from_slice(b"x");
        assert_eq!(canonical_event_end(&trailing), None);
    }
}
