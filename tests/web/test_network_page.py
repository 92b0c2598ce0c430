"""The network standards' structures in the review app: approvers and auditors see a night's
structures and each one's graph (customers by role, transfers with amount and time), accounts
masked, every look audited; a branch's liaison and the administrator do not."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from amlwatch.cases.audit import entries
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse.network import latest_network_scan, network_hits_of, replace_network_hits
from amlwatch.warehouse.tables import NETWORK_HIT_EDGES, NETWORK_HIT_MEMBERS, NETWORK_HITS
from tests.web.conftest import Site, build_site

NIGHT = dt.date(2026, 10, 30)
ODD = "C<b>&'9"  # an id with markup in it: shown as text, never as markup
RELAY = ["C000001980", "C000001981", "C000001982", ODD]
ACCOUNTS = [
    "6222000000100003191",
    "6222000000100003193",
    "6222000000100003195",
    "6222000000100003197",
]
AMOUNTS = [Decimal("160306.640"), Decimal("156065.460"), Decimal("153354.800")]


def stored_relay(db: Path) -> None:
    """A chain A → B → C → D stored as the network stage stores one (real tables)."""
    key = {
        "scan_date": NIGHT,
        "rule_code": "AMLW-NW-0101",
        "structure_id": "AMLW-NW-0101-0a47bc34fbf4",
    }
    at = [dt.datetime(2026, 10, 21 + k, 9, 18) for k in range(3)]
    edges = [
        key | {"step": k, "business_date": at[k].date(), "line": 200 + k, "txn_id": f"T{k}",
               "booked_at": at[k], "payer_customer": RELAY[k], "payer_account": ACCOUNTS[k],
               "payee_customer": RELAY[k + 1], "payee_account": ACCOUNTS[k + 1],
               "amount_cny": AMOUNTS[k]}
        for k in range(3)
    ]  # fmt: skip
    roles = ["source", "intermediary", "intermediary", "sink"]
    members = [
        key | {"customer_id": c, "role": r,
               "received_cny": AMOUNTS[k - 1] if k else Decimal(0),
               "sent_cny": AMOUNTS[k] if k < 3 else Decimal(0)}
        for k, (c, r) in enumerate(zip(RELAY, roles, strict=True))
    ]  # fmt: skip
    hit = key | {
        "shape": "chain", "window_start": dt.date(2026, 10, 19), "window_end": NIGHT, "score": 57.5,
        "edge_count": 3, "member_count": 4, "shared_members": 2, "account_count": 4,
        "new_accounts": 1, "first_amount": AMOUNTS[0], "last_amount": AMOUNTS[-1],
        "first_at": at[0], "last_at": at[-1], "rule_pack": "pboc-2016@2016.2",
        "standard_status": "trial", "scanned_at": dt.datetime(2026, 10, 30, 23, 0),
        "rule_name": "资金在本行多个客户之间链式快速转移（过渡账户）",
    }  # fmt: skip
    with Warehouse.open(db) as wh:
        replace_network_hits(
            wh, [NIGHT], NETWORK_HITS.from_pylist([hit]), NETWORK_HIT_MEMBERS.from_pylist(members),
            NETWORK_HIT_EDGES.from_pylist(edges),
        )  # fmt: skip


@pytest.fixture(scope="module")
def network_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("network-site")
    db = folder / "wh.duckdb"
    stored_relay(db)

    def read(night: dt.date | None) -> tuple[dt.date | None, list[dict]]:
        with Warehouse.open(db, read_only=True) as wh:
            day = night or latest_network_scan(wh)
            return day, network_hits_of(wh, day) if day else []

    site = build_site(folder, network_structures=read)
    yield site
    site.review.store.close()


def test_an_approver_sees_the_night_s_structures_and_one_s_graph(network_site: Site) -> None:
    approver = network_site.client("approver")
    listing = approver.get("/network")
    assert listing.status_code == 200
    html = listing.text
    for text in ("资金网络结构", "2026-10-30", "AMLW-NW-0101-0a47bc34fbf4", "链式快速转移（chain）",
                 "C000001980（来源）", "C000001981（中转）", "试运行（trial）", "2/4", "1/4"):  # fmt: skip
        assert text in html, text
    assert "C&lt;b&gt;&amp;&#39;9" in html and ODD not in html
    page = approver.get("/network/AMLW-NW-0101-0a47bc34fbf4?date=2026-10-30")
    assert page.status_code == 200
    html = page.text
    svg = html[html.index("<svg") : html.index("</svg>")]
    # every member a box with its role, every transfer an arrow with its amount and time
    assert svg.count('class="member"') == 4 and svg.count('class="transfer"') == 3
    for text in (
        "来源（source）",
        "中转（intermediary）",
        "去向（sink）",
        "¥160,306.64",
        "10-21 09:18",
    ):
        assert text in svg, text
    assert ("<b>" not in svg and "C&lt;b&gt;&amp;&#x27;9" in svg) or "C&lt;b&gt;&amp;&#39;9" in svg
    # the chain reads left to right: each next customer's box further right
    xs = [float(x) for x in re.findall(r'<rect x="([0-9.]+)"', svg)]
    assert xs == sorted(xs) and len(set(xs)) == 4
    for account in ACCOUNTS:  # accounts only masked, in the table
        assert account not in html and account[-4:] in html
    assert approver.get("/network/AMLW-NW-0101-ffffffffffff?date=2026-10-30").status_code == 404
    assert approver.get("/network?date=2026-13-01").status_code in (400, 422)
    looked = [
        e
        for e in entries(network_site.review.store, limit=50)
        if e.action == "network structures viewed"
    ]
    assert {e.target for e in looked} >= {
        "network:latest",
        "network:AMLW-NW-0101-0a47bc34fbf4@2026-10-30",
    }


def test_a_liaison_and_the_administrator_do_not_see_the_structures(network_site: Site) -> None:
    auditor = network_site.client("auditor")
    assert auditor.get("/network").status_code == 200
    assert 'href="/network"' in auditor.get("/", follow_redirects=True).text
    for role in ("liaison", "admin"):
        client = network_site.client(role)
        assert client.get("/network").status_code == 403, role
        assert client.get("/network/AMLW-NW-0101-0a47bc34fbf4").status_code == 403, role
        home = client.get("/", follow_redirects=True)
        assert (
            home.status_code == 200 and "<nav" in home.text and 'href="/network"' not in home.text
        )
    assert network_site.client(None).get("/network").status_code in (303, 401)
