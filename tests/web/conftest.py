"""The review app over a real SQLite case store, with a reports folder holding one day's
large-value report, and logged-in clients per role."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from amlwatch.cases import CaseStore, Review, open_cases
from amlwatch.models import Role, User
from amlwatch.stages.cases import generate_case_report
from amlwatch.web import create_app
from amlwatch.wiring import review_for
from tests.cases.factory import alert_evidence

PASSWORD = "Test-Pass-2026!"
LV_DAY = dt.date(2026, 10, 21)
FULL_ID = "350102199001011238"  # the factory's subject's ID number
FULL_ACCOUNT = "6222020000001234"
ROLES = {
    "liaison": ("liaison1", Role.LIAISON, ["B001"]),
    "approver": ("approver1", Role.APPROVER, []),
    "approver2": ("approver2", Role.APPROVER, []),
    "admin": ("admin", Role.ADMIN, []),
    "auditor": ("auditor1", Role.AUDITOR, []),
}


class Site:
    """The app, its review and its people."""

    def __init__(self, app: FastAPI, review: Review, people: dict[str, User], folder: Path):
        self.app, self.review, self.people, self.folder = app, review, people, folder
        self.counter = 0

    def case(self, branch: str = "B001") -> int:
        """A fresh case of a branch."""
        self.counter += 1
        alert_id = f"AMLW-SP-0101-20260929-{self.counter:08x}"
        [case_id] = open_cases(
            self.review.store,
            [alert_evidence(alert_id, customer=f"C{self.counter:06d}", branch=branch)],
            dt.date(2026, 9, 29),
        ).opened
        return case_id

    def client(self, role: str | None) -> TestClient:
        client = TestClient(self.app, base_url="https://testserver", follow_redirects=False)
        if role is not None:
            login(client, ROLES[role][0])
        return client


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    token = csrf_of(page.text)
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf": token, "next": "/"}
    )
    assert answer.status_code == 303, answer.text


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def write_large_value_csv(reports: Path) -> None:
    folder = reports / LV_DAY.isoformat()
    folder.mkdir(parents=True)
    path = folder / f"large_value_report_{LV_DAY:%Y%m%d}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["客户号", "客户姓名/名称", "身份证件/证明文件号码", "客户账号", "金融机构网点代码"]
        )
        out.writerow(["CSNM", "CTNM", "CTID", "CTAC", "FINC"])
        out.writerow(["C1", "甲", FULL_ID, FULL_ACCOUNT, "B001"])
        out.writerow(["C2", "乙", "110101198001010011", "6222020000005678", "B002"])
    path.with_suffix(".xlsx").write_bytes(b"PK")  # stands in for the workbook: only served


def own_passwords(review: Review) -> None:
    """Every user has set their own password, as each does at the first login (that rule has
    its own tests: tests/web/test_hardening.py, tests/cases/test_access.py)."""
    from amlwatch.cases import repository as repo

    with review.store.write() as con:
        for user in repo.all_users(con):
            if user.must_change_password:
                repo.update_user(con, user.id, must_change_password=False)


def build_site(tmp_path: Path, secure_cookies: bool = True, **readers: Any) -> Site:
    store = CaseStore.sqlite_file(tmp_path / "cases.sqlite")
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    people = {"admin": admin}
    for role, (name, kind, branches) in ROLES.items():
        if role != "admin":
            people[role] = review.create_user(admin, name, name.upper(), kind, PASSWORD, branches)
    own_passwords(review)
    reports = tmp_path / "reports"
    write_large_value_csv(reports)
    app = create_app(
        review,
        reports,
        lambda r, u, c: generate_case_report(r, u, c, reports),
        secure_cookies=secure_cookies,
        **readers,
    )
    return Site(app, review, people, reports)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(tmp_path_factory.mktemp("site"))
    yield built
    built.review.store.close()
