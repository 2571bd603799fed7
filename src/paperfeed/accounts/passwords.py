"""Password hashing (argon2id); a dummy verify makes unknown emails as slow as wrong passwords."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 hashes anything, but a megabyte password is a denial of service

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
_DUMMY = _hasher.hash("not a real password: equalises timing for unknown accounts")


class WeakPassword(ValueError):
    """The password does not meet the length rules."""


def check_strength(password: str) -> None:
    """Raise WeakPassword with a message for people when `password` is too short or long."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"use a password of at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"use a password of at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    """An argon2id hash string (salt and parameters included)."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; with no stored hash, spend the same time and fail."""
    try:
        return _hasher.verify(stored or _DUMMY, password[:MAX_LENGTH]) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether the hash uses older parameters than ours (rehash on the next login)."""
    return _hasher.check_needs_rehash(stored)
