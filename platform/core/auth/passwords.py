"""Argon2id password hashing (argon2-cffi defaults: RFC 9106 low-memory profile)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy(hasher: PasswordHasher) -> str:
    """Verified against when the username is unknown, so timing does not reveal which it
    was. Made at the first failed lookup, not at import: a full-cost hash takes ~0.2 s,
    which every process start (a worker, a CLI command, a restarted pod) would pay."""
    return hasher.hash("kasane-timing-equaliser")


def use_fast_hashing_for_tests() -> None:
    """Argon2 at its minimal cost, for the test suite only (it hashes thousands of times).

    Never call it elsewhere: hashes made now are cheap to crack. Verifying reads the cost
    from each stored hash, so hashes made either way keep verifying.
    """
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy(_hasher), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
