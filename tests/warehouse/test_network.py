"""The bank's own transfer graph: derived at load from real files, replaced with its date,
derived afterwards for dates loaded before it existed, and coded for the kernels."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from amlwatch.cli import app
from amlwatch.models import NetworkSummary
from amlwatch.rules import NETWORK_FAMILIES, BusinessCalendar, load_pack
from amlwatch.scanners.network import (
    Hop,
    TransferGraph,
    scan_bursts,
    scan_chains,
    scan_cycles,
    scan_fans,
    scan_layers,
)
from amlwatch.stages.ingest import cut_day_runs, ingest_day
from amlwatch.stages.network import scan_network_days
from amlwatch.stages.replay import replay
from amlwatch.synth import generate_bank
from amlwatch.warehouse import Warehouse
from amlwatch.warehouse.network import (
    missing_edge_days,
    network_hits_of,
    store_day_edges,
    window_graph,
)

START = dt.date(2026, 11, 12)  # the 13th is payday: employers that bank here pay staff that do
DAYS = 4


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("graph")
    generate_bank(out, customers=400, days=DAYS, start=START, fmt="csv", seed=9)
    db = out / "wh.duckdb"
    for k in range(DAYS):
        ingest_day(START + dt.timedelta(days=k), out / "inbox", db)
    return out, db


def files_edges(inbox: Path) -> set[tuple[str, str, str, str, Decimal]]:
    """The transfers between two of the bank's accounts, read from the files by hand: each
    payer's payment whose counterparty account is on an accounts file."""
    owner: dict[str, str] = {}
    for path in sorted(inbox.glob("*/accounts.csv")):
        with path.open(encoding="utf-8") as f:
            owner |= {row["account_id"]: row["customer_id"] for row in csv.DictReader(f)}
    found = set()
    for path in sorted(inbox.glob("*/transactions.csv")):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                payee = row["counterparty_account"]
                if row["direction"] == "out" and payee in owner:
                    found.add(
                        (
                            row["txn_id"],
                            row["account_id"],
                            payee,
                            owner[payee],
                            Decimal(row["amount"]),
                        )
                    )
    return found


def stored_edges(db: Path) -> set[tuple[str, str, str, str, Decimal]]:
    with Warehouse.open(db, read_only=True) as wh:
        return set(
            wh.rows(
                """SELECT txn_id, payer_account, payee_account, payee_customer, amount_cny
                   FROM transfer_edges"""
            )
        )


def test_every_transfer_between_two_of_the_bank_s_accounts_is_one_edge(
    bank: tuple[Path, Path],
) -> None:
    out, db = bank
    expected = files_edges(out / "inbox")
    assert len(expected) > 50  # payroll paid from employers that bank here, at least
    assert stored_edges(db) == expected
    with Warehouse.open(db, read_only=True) as wh:
        days = wh.rows("SELECT business_date, edges FROM transfer_edge_days ORDER BY 1")
        by_day = dict(wh.rows("SELECT business_date, count(*) FROM transfer_edges GROUP BY 1"))
        assert days == [(d, by_day.get(d, 0)) for d, _ in days] and len(days) == DAYS
        assert missing_edge_days(wh) == []


def test_a_re_run_replaces_its_date_and_a_lost_derivation_is_made_again(
    bank: tuple[Path, Path], tmp_path: Path
) -> None:
    out, source = bank
    db = tmp_path / "wh.duckdb"
    db.write_bytes(source.read_bytes())
    before = stored_edges(db)
    ingest_day(START + dt.timedelta(days=1), out / "inbox", db)  # the same files again
    assert stored_edges(db) == before
    with Warehouse.open(db) as wh:  # a warehouse loaded before the graph existed
        wh.execute(
            "DELETE FROM transfer_edges WHERE business_date >= ?", [START + dt.timedelta(days=2)]
        )
        wh.execute(
            "DELETE FROM transfer_edge_days WHERE business_date >= ?",
            [START + dt.timedelta(days=2)],
        )
        assert [d for d, _ in missing_edge_days(wh)] == [
            START + dt.timedelta(days=k) for k in (2, 3)
        ]
    assert START + dt.timedelta(days=2) in cut_day_runs(db)
    assert stored_edges(db) == before
    assert cut_day_runs(db) == []


def test_the_window_s_graph_codes_back_to_its_edges(bank: tuple[Path, Path]) -> None:
    _, db = bank
    first, last = START + dt.timedelta(days=1), START + dt.timedelta(days=DAYS - 1)
    with Warehouse.open(db, read_only=True) as wh:
        graph = window_graph(wh, first, last)
        expected = wh.rows(
            """SELECT txn_id, payer_account, payee_account, payer_customer, payee_customer
               FROM transfer_edges WHERE trade_date BETWEEN ? AND ?""",
            [first, last],
        )
    accounts, customers = np.array(graph.accounts), np.array(graph.customers)
    decoded = set(
        zip(
            graph.edges["txn_id"].to_pylist(),
            accounts[graph.src],
            accounts[graph.dst],
            customers[graph.owner[graph.src]],
            customers[graph.owner[graph.dst]],
            strict=True,
        )
    )
    assert decoded == set(expected) and len(graph.src) == len(expected)
    assert (np.diff(graph.ts) >= 0).all()
    assert graph.accounts == sorted(graph.accounts) and graph.customers == sorted(graph.customers)
    assert (graph.amount == [int(a * 1000) for a in graph.edges["amount_cny"].to_pylist()]).all()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("rings")
    start = dt.date(2026, 9, 21)
    generate_bank(out, customers=900, days=30, start=start, fmt="csv", seed=12)
    db = out / "wh.duckdb"
    for k in range(30):
        ingest_day(start + dt.timedelta(days=k), out / "inbox", db)
    cases = [
        json.loads(line) for line in (out / "ground_truth.jsonl").read_text("utf-8").splitlines()
    ]
    return db, [c for c in cases if "members" in c]


def test_the_planted_structures_are_found_across_customers_and_the_look_alikes_are_not(
    planted: tuple[Path, list[dict]],
) -> None:
    db, structures = planted
    assert {c["kind"] for c in structures} >= {
        "network_chain",
        "network_cycle",
        "lookalike_loan_repaid",
        "lookalike_unrelated_payments",
        "lookalike_small_relay",
        "lookalike_scattered_spent",
        "lookalike_pooled_purchase",
        "lookalike_partial_split",
        "lookalike_family_gifts",
    }
    hop = Hop(
        max_gap=3 * 86_400, low_bp=9_000, high_bp=11_000, min_amount=50_000_000, max_degree=50
    )
    with Warehouse.open(db, read_only=True) as wh:
        g = window_graph(wh, dt.date(2026, 9, 21), dt.date(2026, 10, 20))
        tagged = {t for (t,) in wh.rows("SELECT txn_id FROM transfer_edges")}
    graph = TransferGraph(g.src, g.dst, g.ts, g.amount, g.owner)
    customers = np.array(g.customers)

    def members(edges: np.ndarray, ptr: np.ndarray) -> list[set[str]]:
        return [
            set(customers[g.owner[np.concatenate([g.src[e], g.dst[e]])]])
            for e in (edges[ptr[c] : ptr[c + 1]] for c in range(len(ptr) - 1))
        ]

    chains = scan_chains(graph, hop, 3)
    cycles = scan_cycles(graph, hop, 6)
    gathered = scan_fans(graph, hop, "scatter_gather", 3)
    scattered = scan_fans(graph, hop, "gather_scatter", 3)
    found = {
        "network_chain": members(chains.edges, chains.ptr),
        "network_cycle": members(cycles.edges, cycles.ptr),
        "network_scatter_gather": members(gathered.edges, gathered.ptr),
        "network_gather_scatter": members(scattered.edges, scattered.ptr),
    }
    for shape in ("fan_in", "fan_out"):
        bursts = scan_bursts(graph, hop, shape, 5, 5_000_000)
        found[f"network_{shape}"] = members(bursts.edges, bursts.ptr)
    for shape in ("bipartite", "stack"):
        layered = scan_layers(graph, hop, shape, 3)
        found[f"network_{shape}"] = members(layered.edges, layered.ptr)
    for case in structures:
        payments = set(case["txn_ids"][::2])  # each transfer: the payer's record, then the payee's
        assert payments <= tagged, case["case_id"]
        if case["expect"] == "network":
            assert set(case["members"]) in found[case["kind"]], case["case_id"]
    # the look-alikes are in no structure whole (the background's transfers between the
    # bank's customers may make others: that is bench/quality_network.py's figure)
    for case in (c for c in structures if c["expect"] == "no_network"):
        members = set(case["members"])
        assert not any(members <= s for shape in found.values() for s in shape), case["case_id"]


# -- the network stage: the pack's network standards over each night's window ---------------


def stage_rows(db: Path) -> dict[str, list[tuple]]:
    with Warehouse.open(db, read_only=True) as wh:
        return {
            table: sorted(
                wh.rows(f"SELECT * EXCLUDE (scanned_at) FROM {table}")
                if table == "network_hits"
                else wh.rows(f"SELECT * FROM {table}"),
                key=str,
            )
            for table in ("network_hits", "network_hit_members", "network_hit_edges")
        }


def scanned_nights(calendar: BusinessCalendar) -> list[dt.date]:
    start = dt.date(2026, 9, 21)  # the planted bank's first day; its 30 days' business nights
    days = [start + dt.timedelta(days=k) for k in range(30)]
    return [d for d in days if calendar.is_business_day(d)]


def scanned_copy(
    planted: tuple[Path, list[dict]], tmp_path: Path
) -> tuple[Path, BusinessCalendar, list[dt.date], NetworkSummary]:
    """A copy of the planted bank with every business night's structures stored."""
    db = tmp_path / "wh.duckdb"
    shutil.copy(planted[0], db)
    calendar = BusinessCalendar.load()
    nights = scanned_nights(calendar)
    with Warehouse.open(db) as wh:
        summary = scan_network_days(wh, nights, calendar)
    return db, calendar, nights, summary


def test_the_network_stage_stores_each_planted_ring_with_its_members_roles_and_transfers(
    planted: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    db, calendar, nights, summary = scanned_copy(planted, tmp_path)
    first = stage_rows(db)
    with Warehouse.open(db) as wh:  # a re-run replaces the nights' structures exactly
        again = scan_network_days(wh, nights, calendar)
        found = [h for night in nights for h in network_hits_of(wh, night)]
    assert stage_rows(db) == first and again.structures_by_code == summary.structures_by_code
    codes = [
        s.code for s in load_pack("pboc-2016").suspicious.standards if s.family in NETWORK_FAMILIES
    ]
    assert summary.structures_by_code == {
        code: sum(1 for h in found if h["rule_code"] == code) for code in codes
    }
    assert summary.customers == len({m["customer_id"] for h in found for m in h["members"]})
    shapes = {"network_chain": "chain", "network_cycle": "cycle",
              "network_scatter_gather": "scatter_gather", "network_gather_scatter": "gather_scatter",
              "network_fan_in": "fan_in", "network_fan_out": "fan_out",
              "network_bipartite": "bipartite", "network_stack": "stack"}  # fmt: skip
    assert {c["kind"] for c in planted[1] if c["expect"] == "network"} == set(shapes)
    in_force = {s.family for s in load_pack("pboc-2016").suspicious.standards
                if s.status == "in_force"}  # fmt: skip
    for case in (c for c in planted[1] if c["expect"] == "network"):
        people = case["members"]
        shape = shapes[case["kind"]]
        hits = [h for h in found if h["shape"] == shape
                and {m["customer_id"] for m in h["members"]} == set(people)]  # fmt: skip
        assert hits, case["case_id"]
        assert len({h["structure_id"] for h in hits}) == 1  # one id every night it is seen
        hit = hits[0]
        role = {m["customer_id"]: m["role"] for m in hit["members"]}
        edges = hit["edges"]
        pairs = [(e["payer_customer"], e["payee_customer"]) for e in edges]
        if shape == "chain":
            assert role == {people[0]: "source", people[-1]: "sink"} | {
                p: "intermediary" for p in people[1:-1]
            }
            assert pairs == list(itertools.pairwise(people))
        elif shape == "cycle":
            assert role == {people[0]: "origin"} | {p: "intermediary" for p in people[1:]}
            assert pairs == list(itertools.pairwise([*people, people[0]]))
        elif shape == "scatter_gather":  # A → the middles → C
            middles = people[1:-1]
            assert role == {people[0]: "source", people[-1]: "sink"} | dict.fromkeys(
                middles, "intermediary"
            )
            assert sorted(pairs) == sorted(
                [(people[0], m) for m in middles] + [(m, people[-1]) for m in middles]
            )
        elif shape == "gather_scatter":  # three → H → three
            assert role == dict.fromkeys(people[:3], "source") | {
                people[3]: "intermediary"
            } | dict.fromkeys(people[4:], "sink")
            assert sorted(pairs) == sorted(
                [(a, people[3]) for a in people[:3]] + [(people[3], c) for c in people[4:]]
            )
        elif shape == "fan_in":  # k → H → C, the whole passed on at once
            assert role == dict.fromkeys(people[:-2], "source") | {
                people[-2]: "intermediary",
                people[-1]: "sink",
            }
            assert pairs == [(a, people[-2]) for a in people[:-2]] + [(people[-2], people[-1])]
        elif shape == "fan_out":  # A → H → k
            assert role == {people[0]: "source", people[1]: "intermediary"} | dict.fromkeys(
                people[2:], "sink"
            )
            assert pairs == [(people[0], people[1])] + [(people[1], c) for c in people[2:]]
        else:  # layers of three, each paying two of the next (a stack: the middle passing on)
            layers = [people[k : k + 3] for k in range(0, len(people), 3)]
            assert role == dict.fromkeys(layers[0], "source") | dict.fromkeys(
                people[3:-3], "intermediary"
            ) | dict.fromkeys(layers[-1], "sink")
            assert sorted(pairs) == sorted(
                (a, nxt[(i + j) % 3]) for here, nxt in itertools.pairwise(layers)
                for i, a in enumerate(here) for j in range(2)
            )  # fmt: skip
        assert {e["txn_id"] for e in edges} <= set(case["txn_ids"])
        assert (
            [e["step"] for e in edges] == list(range(len(edges))) == list(range(hit["edge_count"]))
        )
        assert [e["booked_at"] for e in edges] == sorted(e["booked_at"] for e in edges)
        amounts = [e["amount_cny"] for e in edges]
        assert (hit["first_amount"], hit["last_amount"]) == (amounts[0], amounts[-1])
        for m in hit["members"]:  # what each passed on and received along the path
            assert m["sent_cny"] == sum(
                a for (p, _), a in zip(pairs, amounts, strict=True) if p == m["customer_id"]
            )
            assert m["received_cny"] == sum(
                a for (_, q), a in zip(pairs, amounts, strict=True) if q == m["customer_id"]
            )
        status = "in_force" if shape in in_force else "trial"  # the shapes new in 2016.3: trial
        assert hit["standard_status"] == status and 0 <= hit["score"] <= 100
        assert hit["window_start"] == calendar.window_start(hit["scan_date"], 10)
    for case in (c for c in planted[1] if c["expect"] == "no_network"):
        members = set(case["members"])
        assert not any(members <= {m["customer_id"] for m in h["members"]} for h in found)


def test_a_draft_runs_not_and_the_least_score_keeps_only_the_strongest(
    planted: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    db, calendar, nights, _ = scanned_copy(planted, tmp_path)
    with Warehouse.open(db) as wh:
        scores = [h["score"] for n in nights for h in network_hits_of(wh, n, "AMLW-NW-0101")]
    least = sorted(scores)[len(scores) // 2] + 0.01  # above the median: some go, some stay
    pack = tmp_path / "strict.toml"
    pack.write_text(
        'extends = "pboc-2016"\n'
        + "".join(
            f'[[suspicious.standards]]\ncode = "AMLW-NW-0{n}"\nstatus = "draft"\n'
            for n in (201, 301, 302, 401, 402, 501, 502)
        )
        + '[[suspicious.standards]]\ncode = "AMLW-NW-0101"\n[suspicious.standards.params.common]\n'
        f"min_score = {int(least) + 1}\n",
        encoding="utf-8",
    )
    with Warehouse.open(db) as wh:
        summary = scan_network_days(wh, nights, calendar, str(pack))
        kept = [h for n in nights for h in network_hits_of(wh, n)]
    assert set(summary.structures_by_code) == {"AMLW-NW-0101"}
    assert {h["rule_code"] for h in kept} <= {"AMLW-NW-0101"}
    assert all(h["score"] >= int(least) + 1 for h in kept)
    assert len(kept) == sum(1 for s in scores if s >= int(least) + 1) < len(scores)


def test_the_structures_list_masks_account_numbers(
    planted: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    db, _, nights, _ = scanned_copy(planted, tmp_path)
    with Warehouse.open(db) as wh:
        last = max(n for n in nights if network_hits_of(wh, n))
        shown = network_hits_of(wh, last)
    result = CliRunner().invoke(app, ["network", "list", "--db", str(db), "--date", str(last),
                                      "--transfers"])  # fmt: skip
    assert result.exit_code == 0, result.output
    for hit in shown:
        assert hit["structure_id"] in result.output
        for e in hit["edges"]:
            assert (
                e["payer_account"] not in result.output and e["payee_account"] not in result.output
            )
            assert f"****{e['payer_account'][-4:]}" in result.output
    assert "来源" in result.output or "回流方" in result.output


def test_a_replay_shows_what_a_network_standard_s_change_gains_and_loses(
    planted: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    """A proposal's replay (read only) counts a network standard's structures as its hits and
    their members as its subjects, under the pack in force and under the change."""
    calendar = BusinessCalendar.load()
    nights = scanned_nights(calendar)[-5:]
    baseline = load_pack("pboc-2016")
    strict = tmp_path / "strict.toml"
    strict.write_text(
        'extends = "pboc-2016"\n[[suspicious.standards]]\ncode = "AMLW-NW-0201"\n'
        "[suspicious.standards.params.common]\nmax_edges = 2\n",
        encoding="utf-8",
    )
    with Warehouse.open(planted[0], read_only=True) as wh:
        result = replay(wh, nights, calendar, baseline, load_pack(strict))
    db = tmp_path / "wh.duckdb"
    shutil.copy(planted[0], db)
    with Warehouse.open(db) as wh:  # what the stage stores for those nights, pack in force
        scan_network_days(wh, nights, calendar)
        stored = [h for n in nights for h in network_hits_of(wh, n)]
    for code in ("AMLW-NW-0101", "AMLW-NW-0201"):
        mine = [h for h in stored if h["rule_code"] == code]
        counts = result.by_standard[code]
        assert counts.baseline_hits == len(mine) > 0
        assert counts.baseline_subjects == {
            (m["customer_id"], None) for h in mine for m in h["members"]
        }
    cycles = result.by_standard["AMLW-NW-0201"]  # circles of 3-4 are no circle of 2
    assert cycles.candidate_hits < cycles.baseline_hits and cycles.removed and not cycles.added
    chains = result.by_standard["AMLW-NW-0101"]
    assert chains.candidate_hits == chains.baseline_hits and not chains.added | chains.removed


def test_members_who_share_a_phone_and_accounts_opened_just_before_raise_the_score(
    planted: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    db, calendar, nights, _ = scanned_copy(planted, tmp_path)
    relay = next(c for c in planted[1] if c["kind"] == "network_chain")

    def the_relay() -> dict:
        with Warehouse.open(db) as wh:
            scan_network_days(wh, nights, calendar)
            return next(
                h for n in nights for h in network_hits_of(wh, n, "AMLW-NW-0101")
                if {m["customer_id"] for m in h["members"]} == set(relay["members"])
            )  # fmt: skip

    before = the_relay()
    first = before["first_at"]
    a, b = relay["members"][:2]
    account = before["edges"][-1]["payee_account"]
    with Warehouse.open(db) as wh:  # two members give one phone; the sink's account is new
        wh.execute(
            "UPDATE customer_history SET phone = '13800000000' WHERE customer_id IN (?, ?)", [a, b]
        )
        wh.execute("UPDATE account_history SET opened_at = ? WHERE account_id = ?",
                   [first - dt.timedelta(days=10), account])  # fmt: skip
    after = the_relay()
    assert after["structure_id"] == before["structure_id"]
    assert after["shared_members"] == max(2, before["shared_members"])
    assert after["new_accounts"] == before["new_accounts"] + 1
    raised = (
        10 * (after["shared_members"] - before["shared_members"]) / after["member_count"]
        + 10 / after["account_count"]
    )
    assert after["score"] == pytest.approx(min(100, before["score"] + raised), abs=0.011)


def test_members_paying_from_one_device_share_it_and_their_structure_scores_higher(
    planted: tuple[Path, list[dict]], tmp_path: Path
) -> None:
    """The payers' device (OCEC: an online payment's IP and MAC) comes with the edges derived
    at load; members of a structure who paid from one device count as sharing members."""
    db, calendar, nights, _ = scanned_copy(planted, tmp_path)
    chain = next(c for c in planted[1] if c["kind"] == "network_chain")
    people = set(chain["members"])

    def found() -> dict:
        with Warehouse.open(db, read_only=True) as wh:
            hits = [h for n in nights for h in network_hits_of(wh, n, "AMLW-NW-0101")
                    if {m["customer_id"] for m in h["members"]} == people]  # fmt: skip
        assert hits
        return hits[0]

    before = found()
    with Warehouse.open(db) as wh:
        payments = chain["txn_ids"][::2]  # each transfer: the payer's record first
        wh.execute(
            "UPDATE transactions SET device = 'IP:10.8.0.7 MAC:00-1A-2B-3C-4D-5E' "
            "WHERE list_contains(?, txn_id)",
            [payments],
        )
        dates = wh.rows(
            "SELECT DISTINCT business_date, load_id FROM transactions WHERE list_contains(?, txn_id)",
            [payments],
        )
        with wh.transaction():
            for day, load in dates:  # the load's derivation, as a re-load would run it
                store_day_edges(wh, day, str(load))
        scan_network_days(wh, nights, calendar)
    after = found()
    payers = len(people) - 1  # all but the last paid on
    assert after["shared_members"] == max(before["shared_members"], payers)
    assert after["score"] > before["score"] or before["shared_members"] >= payers
