"""Case stores for the tests: a fresh SQLite file, and a fresh PostgreSQL database on the
server `make test` starts (AMLWATCH_TEST_PG_URL). Store tests run against both."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from amlwatch.cases import CaseStore, Review
from amlwatch.models import Role, User
from amlwatch.rules import BusinessCalendar
from amlwatch.submission.codes import CRIME_TYPE_NAMES

PASSWORD = "Test-Pass-2026!"


def postgres_url() -> str | None:
    url = os.environ.get("AMLWATCH_TEST_PG_URL", "").strip()
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the case store tests on PostgreSQL: AMLWATCH_TEST_PG_URL unset")
        return None
    return url


def new_store(kind: str, tmp_path: Path) -> Iterator[CaseStore]:
    if kind == "sqlite":
        store = CaseStore.sqlite_file(tmp_path / "cases.sqlite")
        yield store
        store.close()
        return
    url = postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL (AMLWATCH_TEST_PG_URL): run the tests with `make test`")
    name = f"amlwatch_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    store = CaseStore(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.close()
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin: Engine, name: str) -> None:
    """Drop a test database; an autovacuum worker that just began on it makes FORCE fail
    ("must be a member of the role whose process is being terminated"): it ends within
    moments, so try again for a while before giving up."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with admin.connect() as con:
                con.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            return
        except (ProgrammingError, OperationalError):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    yield from new_store(request.param, tmp_path)


class Clock:
    """A settable today()."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.date:
        return self.day


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.date(2026, 9, 30))


@pytest.fixture
def review(store: CaseStore, clock: Clock) -> Review:
    calendar = BusinessCalendar.load()
    review = Review(
        store, calendar.add_business_days, CRIME_TYPE_NAMES, review_levels=2, today=clock
    )
    review.access_four_eyes = False  # the people below are active at once (test_access.py)
    return review


@pytest.fixture
def people(review: Review) -> dict[str, User]:
    """An administrator, liaisons of B001 and B002, three approvers and an auditor."""
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    made = {"admin": admin}
    for name, role, branches in (
        ("liaison1", Role.LIAISON, ["B001"]),
        ("liaison2", Role.LIAISON, ["B002"]),
        ("approver1", Role.APPROVER, []),
        ("approver2", Role.APPROVER, []),
        ("approver3", Role.APPROVER, []),
        ("approver_b2", Role.APPROVER, ["B002"]),
        ("auditor1", Role.AUDITOR, []),
    ):
        made[name] = review.create_user(admin, name, name.upper(), role, PASSWORD, branches)
    return made
