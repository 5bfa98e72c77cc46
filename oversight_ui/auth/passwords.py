"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's
second recommended profile); verification is constant-time in the library."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type

_HASHER = PasswordHasher(type=Type.ID)
# Verified against when the user does not exist, so that unknown and known
# usernames take the same time to refuse.
_DUMMY_HASH = _HASHER.hash("custodes-dummy-password-for-timing")
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
