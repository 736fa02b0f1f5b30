"""How passwords are stored: argon2id, with its cost set here once (raise it here, and each
account's hash is upgraded at its next successful sign-in).

The parameters are OWASP's (Password Storage Cheat Sheet, argon2id): 19 MiB of memory, 2
iterations, 1 lane. Hashes written before argon2id (Werkzeug's `scrypt:` and `pbkdf2:`) still
verify, and `outdated` says they (and argon2 hashes with other parameters) should be replaced.
"""
from typing import TypedDict

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash


class Parameters(TypedDict):
    """argon2-cffi's PasswordHasher arguments."""

    type: Type
    memory_cost: int  # KiB
    time_cost: int  # passes
    parallelism: int  # lanes


PARAMETERS: Parameters = {"type": Type.ID, "memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}
HASHER = PasswordHasher(**PARAMETERS)
ARGON2 = "$argon2"
# Checked against when there is no account to check, so a miss costs as much time as a wrong password.
DUMMY_HASH = HASHER.hash("not-a-real-password")


def hashed(password: str) -> str:
    """The hash to store for a new password."""
    return HASHER.hash(password)


def verify(stored: str, password: str) -> bool:
    """Whether `password` is the one `stored` was made from (argon2id, or an older Werkzeug hash)."""
    if not stored.startswith(ARGON2):
        return check_password_hash(stored, password)
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nothing(password: str) -> None:
    """Spend the time a real check would, for a username that matches no account."""
    verify(DUMMY_HASH, password)


def outdated(stored: str) -> bool:
    """Whether `stored` was made another way than `hashed` makes hashes today."""
    return not stored.startswith(ARGON2) or HASHER.check_needs_rehash(stored)
