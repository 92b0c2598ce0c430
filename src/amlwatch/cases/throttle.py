"""The login throttle: failed logins counted per account and client address, per address and
per account.

Five failures in a row for one account from one address pause that pair (15 minutes, then
doubling up to 4 hours); thirty from one address, whatever the accounts, pause the address;
fifteen for one account within 15 minutes, whatever the addresses, pause the account (a
guesser who rotates addresses, or claims to). A guesser from one place is slowed where they
guess from, while the account's owner logs in from their own desk: nobody can lock an
approver out with five requests. A success clears its pair; an administrator clears an
account's pauses (audited by the use case). The address is the connection's own: forwarded
headers count only from the proxies the settings trust (`web_trusted_proxies`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, delete, insert, select, update

from amlwatch.cases.auth import ACCOUNT_LIMIT, ADDRESS_LIMIT, LOCK_AFTER, LOCK_FOR, LOCK_MAX
from amlwatch.cases.tables import login_throttle

ADDRESS_WINDOW = dt.timedelta(minutes=15)


def _pair(username: str, address: str) -> str:
    return f"u:{username[:64]}|{address[:100]}"


def _address(address: str) -> str:
    return f"a:{address[:100]}"


def _account(username: str) -> str:
    return f"c:{username[:64]}"


def paused(con: Connection, username: str, address: str, now: dt.datetime) -> bool:
    """Whether logins of this account from this address (or from this address at all) wait."""
    rows = con.execute(
        select(login_throttle.c.locked_until).where(
            login_throttle.c.key.in_(
                [_pair(username, address), _address(address), _account(username)]
            )
        )
    ).scalars()
    return any(until is not None and until > now for until in rows)


def failed(con: Connection, username: str, address: str, now: dt.datetime) -> bool:
    """Count a failure; whether it paused the pair or the address."""
    pair = _count(con, _pair(username, address), now, LOCK_AFTER, None)
    window = _count(con, _address(address), now, ADDRESS_LIMIT, ADDRESS_WINDOW)
    account = _count(con, _account(username), now, ACCOUNT_LIMIT, ADDRESS_WINDOW)
    return pair or window or account


def succeeded(con: Connection, username: str, address: str) -> None:
    con.execute(delete(login_throttle).where(login_throttle.c.key == _pair(username, address)))


def clear_account(con: Connection, username: str) -> int:
    """Lift every pause of an account (from any address, and the account's own) and its
    counts; how many pauses there were."""
    prefix = f"u:{username[:64]}|"
    rows = [
        (k, until)
        for k, until in con.execute(select(login_throttle.c.key, login_throttle.c.locked_until))
        if str(k).startswith(prefix) or k == _account(username)
    ]
    if rows:
        con.execute(delete(login_throttle).where(login_throttle.c.key.in_([k for k, _ in rows])))
    return sum(until is not None for _, until in rows)


def _count(
    con: Connection, key: str, now: dt.datetime, limit: int, window: dt.timedelta | None
) -> bool:
    row = con.execute(select(login_throttle).where(login_throttle.c.key == key)).first()
    if row is None:
        con.execute(
            insert(login_throttle).values(
                key=key, failures=1, locks=0, last_at=now, locked_until=None
            )
        )
        return limit <= 1
    failures = 1 if window is not None and now - row.last_at > window else row.failures + 1
    values: dict[str, object] = {"failures": failures, "last_at": now}
    locked = failures >= limit
    if locked:
        pause = min(LOCK_FOR * (2 ** int(row.locks)), LOCK_MAX)
        values.update(failures=0, locks=int(row.locks) + 1, locked_until=now + pause)
    con.execute(update(login_throttle).where(login_throttle.c.key == key).values(**values))
    return locked
