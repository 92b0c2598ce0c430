"""Several reviewers at once through a real server (loopback, bounded): no request fails and
the audit chain stays one chain. Latency is the benchmark's business (bench/bench_web.py)."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from amlwatch.cases.audit import verify
from amlwatch.models import Role
from tests.web.conftest import PASSWORD, build_site, own_passwords
from tests.web.server import serving

pytestmark = pytest.mark.integration


def test_ten_reviewers_at_once_get_no_errors_and_one_audit_chain(tmp_path: Path) -> None:
    site = build_site(tmp_path, secure_cookies=False)  # plain HTTP client on loopback
    for i in range(40):
        site.case("B001" if i % 2 else "B002")
    names = []
    for n in range(10):
        name = f"reviewer{n}"
        role = Role.APPROVER if n % 3 == 0 else Role.LIAISON
        site.review.create_user(site.people["admin"], name, name, role, PASSWORD, ["B001"])
        names.append(name)
    own_passwords(site.review)
    with serving(site.app) as port:
        _review_side_by_side(site, names, port)


def _review_side_by_side(site: Any, names: list[str], port: int) -> None:
    errors: list[str] = []
    views = [0]
    until = time.monotonic() + 5

    def reviewer(name: str) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert token
            client.post(
                "/login", data={"username": name, "password": PASSWORD, "csrf": token.group(1)}
            )
            while time.monotonic() < until:
                listing = client.get("/cases")
                if listing.status_code != 200:
                    errors.append(f"{name} list {listing.status_code}")
                    continue
                for case_id in re.findall(r'href="/cases/(\d+)"', listing.text)[:3]:
                    page = client.get(f"/cases/{case_id}")
                    if page.status_code != 200:
                        errors.append(f"{name} case {page.status_code}")
                    views[0] += 1

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert views[0] > 20
    check = verify(site.review.store)
    assert check.ok and check.entries > views[0]
    site.review.store.close()
