"""The library of standards in the review app: every standard in Chinese with its codes, the
proposed versions with their replay, put in force by an approver other than the proposer
(CSRF-checked, audited); a liaison sees the page but cannot decide."""

from __future__ import annotations

from amlwatch.cases.audit import entries
from amlwatch.rules import load_pack
from tests.web.conftest import Site, csrf_of

REPLAY = {
    "from": "2026-09-01",
    "to": "2026-09-29",
    "by_standard": {"AMLW-SP-0401": {"hits": [3, 7], "subjects": [1, 2], "added": 1, "removed": 0}},
}


def test_an_approver_puts_a_proposed_version_in_force_from_the_page(site: Site) -> None:
    review, people = site.review, site.people
    version = review.propose_standard(
        people["liaison"], load_pack("pboc-2016"), "AMLW-SP-0401",
        {"status": "in_force", "params": {"individual": {"min_rows": "12"}}},
        "试运行期间命中均经人工分析，建议生效。", REPLAY,
    )  # fmt: skip
    liaison = site.client("liaison")
    page = liaison.get("/standards")
    assert page.status_code == 200
    html = page.text
    for text in ("交易监测标准库", "AMLW-SP-0401", "相同收付款人", "试运行（trial）", "生效（in_force）",
                 "个人 min_rows = 12", "3 → 7", "+1", "待审批（pending）", "2003-06"):  # fmt: skip
        assert text in html, text
    assert f"/standards/versions/{version.id}/approve" not in html  # not the liaison's to decide
    refused = liaison.post(
        f"/standards/versions/{version.id}/approve", data={"csrf": csrf_of(html)}
    )
    assert refused.status_code == 403
    approver = site.client("approver")
    html = approver.get("/standards").text
    assert f"/standards/versions/{version.id}/approve" in html
    forged = approver.post(f"/standards/versions/{version.id}/approve", data={"csrf": "x"})
    assert forged.status_code in (400, 403)
    done = approver.post(f"/standards/versions/{version.id}/approve", data={"csrf": csrf_of(html)})
    assert done.status_code == 303
    [decided] = [v for v in review.standard_versions(people["approver"]) if v.id == version.id]
    assert decided.state == "approved" and decided.decided_by == people["approver"].username
    assert "已生效（approved）" in approver.get("/standards").text
    assert any(e.action == "standard approved" for e in entries(review.store, limit=100))
    assert site.client("admin").get("/standards").status_code == 403
