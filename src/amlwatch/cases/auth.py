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

# scrypt cost: 16 MiB and ~50 ms a hash here; raise N on faster machines
_N, _R, _P, _LEN = 2**14, 8, 1, 32
MIN_PASSWORD = 12
LOCK_AFTER = 5  # failed logins in a row
LOCK_FOR = dt.timedelta(minutes=15)


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash` of the password."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(key)])


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
        maxmem=2**26,
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
