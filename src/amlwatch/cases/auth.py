"""Passwords and sessions of the review app.

Passwords are stored as scrypt hashes (a memory-hard KDF, Python's `hashlib`) with a random
salt each. A session is a random token the browser keeps in a cookie; the store keeps only
its SHA-256, with the session's CSRF token and when it was last used, so a stolen copy of the
store does not give working sessions.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

# scrypt cost: one of OWASP's equivalent settings (N=2^17 r=8 p=1 … N=2^15 r=8 p=3), this
# one 32 MiB and ~0.5 s a hash here: a burst of logins cannot take the machine's memory.
# A stored hash of a lower cost is upgraded at the next successful login.
COST = {"n": 2**15, "r": 8, "p": 3}
_LEN = 32
MIN_PASSWORD = 12
LOCK_AFTER = 5  # failed logins in a row from one address (per account), then a pause
LOCK_FOR = dt.timedelta(minutes=15)  # the first pause; it doubles with every further one
LOCK_MAX = dt.timedelta(hours=4)
ADDRESS_LIMIT = 30  # failed logins from one address (any accounts) before it pauses
# failed logins of one account from any addresses within the window before the account
# pauses: a guesser rotating addresses is slowed too (higher than LOCK_AFTER, so that the
# owner's own mistakes pause only their desk)
ACCOUNT_LIMIT = 15


def set_cost(n: int, r: int, p: int) -> None:
    """The scrypt cost of new hashes (tests lower it to spare time; never in production)."""
    COST.update(n=n, r=r, p=p)


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash` of the password."""
    n, r, p = COST["n"], COST["r"], COST["p"]
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=_LEN, maxmem=2**27)
    return "$".join(["scrypt", str(n), str(r), str(p), _b64(salt), _b64(key)])


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash is of a lower cost than new hashes get."""
    try:
        _, n, r, p, _, _ = stored.split("$")
        return int(n) * int(r) * int(p) < COST["n"] * COST["r"] * COST["p"]
    except ValueError:
        return True


def check_password(password: str, stored: str) -> bool:
    """Whether the password matches its stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.urlsafe_b64decode(key)
    got = hashlib.scrypt(
        password.encode(),
        salt=base64.urlsafe_b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
        maxmem=2**27,
    )
    return hmac.compare_digest(got, expected)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 位 / at least {MIN_PASSWORD} characters"
    kinds = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    if kinds < 3:
        return (
            "密码须含大写、小写、数字、符号中至少三类 / use three of: lower, upper, digit, symbol"
        )
    return None


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # goes into the cookie, never into the store
    token_hash: str
    csrf: str


def new_session() -> NewSession:
    token = secrets.token_urlsafe(32)
    return NewSession(token, token_digest(token), secrets.token_urlsafe(32))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()
