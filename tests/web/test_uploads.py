"""The upload register in the review app: approvers see what waits for upload and record
the upload (audited, files archived); auditors read; liaisons do not see it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from amlwatch.cases import SubmissionLedger
from amlwatch.cases.audit import entries
from amlwatch.cli.review import web_app
from amlwatch.ingest import inbox_dates
from amlwatch.models import Role
from amlwatch.settings import get_settings
from amlwatch.stages.filings import write_large_value_submission
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.large_value import scan_large_value_day
from amlwatch.stages.uploads import open_actions
from amlwatch.wiring import case_store, review_for, today
from tests.web.conftest import PASSWORD, csrf_of, login, own_passwords

SAMPLE = Path(__file__).parents[2] / "data_samples" / "inbox"
DAY = dt.date(2026, 10, 21)


def test_approvers_record_uploads_auditors_read_liaisons_do_not_see(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    for day in inbox_dates(SAMPLE):
        if day > DAY:
            break
        ingest_day(day, SAMPLE, db)
        scan_large_value_day(day, db)
    filing = write_large_value_submission(DAY, db, tmp_path / "reports")
    [package] = filing.packages
    store = case_store(db)
    review = review_for(store)
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    review.create_user(admin, "approver1", "王审批", Role.APPROVER, PASSWORD, [])
    review.create_user(admin, "auditor1", "审计", Role.AUDITOR, PASSWORD, [])
    review.create_user(admin, "liaison1", "李联络", Role.LIAISON, PASSWORD, ["B001"])
    own_passwords(review)

    def client(username: str) -> TestClient:
        app = web_app(db, get_settings())
        out = TestClient(app, base_url="https://testserver", follow_redirects=False)
        login(out, username, PASSWORD)
        return out

    approver = client("approver1")
    page = approver.get("/submissions")
    assert page.status_code == 200 and package in page.text and 'name="names[]"' in page.text
    # the file is past its deadline (10-21 + 5 working days) and the earlier nights' hits
    # are in no file: every page's header counts the overdue items, the register lists them
    late = sum(a.overdue for a in open_actions(SubmissionLedger(store), today(), db=db))
    assert late >= 2
    assert f"报送逾期 {late} 项" in approver.get("/cases").text
    assert "已逾期" in page.text and f"{filing.files[0]}</td>" in page.text
    auditor = client("auditor1").get("/submissions")
    assert auditor.status_code == 200 and 'name="names[]"' not in auditor.text
    assert f"报送逾期 {late} 项" in auditor.text
    liaison = client("liaison1")
    assert liaison.get("/submissions").status_code == 403
    assert 'id="overdue"' not in liaison.get("/cases").text
    # no CSRF token, no upload recorded
    assert approver.post("/submissions/uploaded", data={"names[]": package}).status_code == 403
    done = approver.post(
        "/submissions/uploaded", data={"csrf": csrf_of(page.text), "names[]": package}
    )
    assert done.status_code == 303
    [record] = SubmissionLedger(store).files()
    assert (record.status, record.uploaded_by) == ("uploaded", "approver1")
    assert Path(str(record.path)).parent.name == "archive"
    assert [e.detail["files"] for e in entries(store, 50, None, "files uploaded", None)] == [
        filing.files
    ]
    again = approver.post(
        "/submissions/uploaded", data={"csrf": csrf_of(page.text), "names[]": package}
    )
    assert again.status_code == 400 and "only written files" in again.text
    store.close()
