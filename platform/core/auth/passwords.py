"""Argon2id password hashing (argon2-cffi defaults: RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which it was.
_DUMMY = _hasher.hash("kasane-timing-equaliser")


def use_fast_hashing_for_tests() -> None:
    """Argon2 at its minimal cost, for the test suite only (it hashes thousands of times).

    Never call it elsewhere: hashes made now are cheap to crack. Verifying reads the cost
    from each stored hash, so hashes made either way keep verifying.
    """
    global _hasher, _DUMMY
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _DUMMY = _hasher.hash("kasane-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
