"""Secret hashing: argon2id over an HMAC-SHA256 pepper.

Parameters (see docs/members.md for the measurement): argon2id, time_cost=2,
memory_cost=19 MiB (19456 KiB), parallelism=1, 16-byte salt, 32-byte tag. This is
the OWASP Password Storage Cheat Sheet's first recommended argon2id configuration.
It costs ~16 ms of one core per verify on the development machine, which keeps a
login well inside its latency budget and lets one core serve ~60 logins/s, while an
offline attacker pays 19 MiB and two passes per guess.

A 4-digit PIN has only 10,000 values, so hashing alone cannot protect it: anyone
holding a stolen hash tries them all in minutes. Every secret is therefore first
keyed with HMAC-SHA256 under `SHUNFURI_PIN_PEPPER`, a server-side key that lives in
the environment, never in the database; without it a stolen table is useless. The
HMAC input carries a label ("pin" / "password") so one secret can never stand in for
the other.

`dummy_verify` runs the same argon2 verification against a fixed hash so that an
unknown identifier costs exactly what a real one does.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1
HASH_LEN = 32
SALT_LEN = 16

_hasher = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=HASH_LEN,
    salt_len=SALT_LEN,
    type=Type.ID,
)


def _peppered(label: str, secret: str, pepper: str) -> str:
    message = f"{label}\x00{secret}".encode()
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()


def hash_secret(label: str, secret: str, *, pepper: str) -> str:
    """argon2id(HMAC-SHA256(pepper, label || secret)) in PHC string form."""
    return _hasher.hash(_peppered(label, secret, pepper))


def verify_secret(stored: str | None, label: str, secret: str, *, pepper: str) -> bool:
    """Constant-time check (argon2's own compare). A missing hash still costs one verify."""
    peppered = _peppered(label, secret, pepper)
    if not stored:
        _verify(_dummy_hash(), peppered)
        return False
    return _verify(stored, peppered)


def _verify(stored: str, peppered: str) -> bool:
    try:
        return _hasher.verify(stored, peppered)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_pin(pin: str, *, pepper: str) -> str:
    return hash_secret("pin", pin, pepper=pepper)


def verify_pin(stored: str | None, pin: str, *, pepper: str) -> bool:
    return verify_secret(stored, "pin", pin, pepper=pepper)


def hash_password(password: str, *, pepper: str) -> str:
    return hash_secret("password", password, pepper=pepper)


def verify_password(stored: str | None, password: str, *, pepper: str) -> bool:
    return verify_secret(stored, "password", password, pepper=pepper)


def needs_rehash(stored: str) -> bool:
    """True when `stored` was made with other parameters (upgrade it at the next login)."""
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Same parameters as real hashes, so a dummy verify costs what a real one does.
    return _hasher.hash("shunfuri-dummy-secret-never-matches")


def dummy_verify(secret: str = "") -> None:
    """Spend one verification's time for an identifier that matched no member."""
    _verify(_dummy_hash(), _peppered("dummy", secret, "dummy"))


def warm_up() -> None:
    """Compute the dummy hash ahead of the first login (the first call costs a hash)."""
    _dummy_hash()


def identifier_key(kind: str, identifier: str, *, pepper: str) -> str:
    """The LoginFailure key: HMAC-SHA256 of the normalised identifier, hex (64 chars).

    Keyed so the table never holds card numbers or Web-IDs in the clear, and an
    attacker with the table cannot test candidate identifiers without the pepper.
    """
    message = f"login-identifier\x00{kind}\x00{identifier}".encode()
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()
