"""The web sessions' rows (the only code that reads and writes them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from amlwatch.cases.tables import web_sessions


def insert_session(con: Connection, token_hash: str, user_id: int, csrf: str) -> None:
    now = dt.datetime.now()
    con.execute(
        insert(web_sessions).values(
            token_hash=token_hash, user_id=user_id, csrf=csrf, created_at=now, last_seen=now
        )
    )


def session_row(con: Connection, token_hash: str) -> Any:
    return con.execute(select(web_sessions).where(web_sessions.c.token_hash == token_hash)).first()


def touch_session(con: Connection, token_hash: str, at: dt.datetime) -> None:
    con.execute(
        update(web_sessions).where(web_sessions.c.token_hash == token_hash).values(last_seen=at)
    )


def delete_sessions(
    con: Connection, token_hash: str | None = None, user_id: int | None = None
) -> None:
    conditions = []
    if token_hash is not None:
        conditions.append(web_sessions.c.token_hash == token_hash)
    if user_id is not None:
        conditions.append(web_sessions.c.user_id == user_id)
    con.execute(delete(web_sessions).where(or_(*conditions)))
