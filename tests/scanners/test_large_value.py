"""The large-value kernel against the naive reference, and each rule of computation by name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amlwatch.rules import RulePack, load_pack
from amlwatch.scanners import LargeValueInput, scan_large_value
from amlwatch.scanners.exceptions import ScannerInputError
from tests import naive
from tests.naive import NaiveTxn, large_value_hits

PBOC_2016 = load_pack("pboc-2016")
PBOC_2003 = load_pack("pboc-2003")
DAY = dt.date(2026, 11, 20)


def kernel_hits(txns: list[NaiveTxn], pack: RulePack) -> set[tuple[str, str]]:
    """Run the kernel the way the warehouse feeds it, and name its hits like the reference."""
    if not txns:
        return set()
    rule = pack.large_value
    customers = {c: i for i, c in enumerate(sorted({t.customer_id for t in txns}))}
    order = sorted(
        range(len(txns)), key=lambda i: (customers[txns[i].customer_id], txns[i].trade_date)
    )
    rows = [txns[i] for i in order]

    data = LargeValueInput(
        customer=np.array([customers[t.customer_id] for t in rows], np.int64),
        day=np.array([(t.trade_date - dt.date(1970, 1, 1)).days for t in rows], np.int32),
        out=np.array([t.direction == "out" for t in rows]),
        entity=np.array([t.customer_type == "entity" for t in rows]),
        cash=np.array([t.is_cash for t in rows]),
        cross_border=np.array([t.is_cross_border for t in rows]),
        rmb=np.array([t.currency == "CNY" for t in rows]),
        counted=np.array(
            [
                not naive.is_exempt(t, rule) and not (rule.rmb_only and t.currency != "CNY")
                for t in rows
            ]
        ),
        cny=np.array([int(t.amount_cny * 1000) for t in rows], np.int64),
        usd=np.array([int(t.amount_usd * 1000) for t in rows], np.int64),
    )
    hits = scan_large_value(data, pack)
    codes = [c.code for c in rule.characteristics]
    return {(rows[r].txn_id, codes[k]) for r, k in zip(hits.row, hits.characteristic, strict=True)}


def t(txn_id: str, **kw: object) -> NaiveTxn:
    base: dict[str, object] = dict(
        txn_id=txn_id,
        customer_id="C1",
        customer_type="individual",
        trade_date=DAY,
        direction="in",
        currency="CNY",
        is_cash=False,
        is_cross_border=False,
        amount_cny=Decimal("1"),
        amount_usd=Decimal("0.141"),
        exemption_code=None,
        counterparty_is_government=None,
    )
    base.update(kw)
    return NaiveTxn(**base)  # type: ignore[arg-type]


def both(txns: list[NaiveTxn], pack: RulePack = PBOC_2016) -> set[tuple[str, str]]:
    """Kernel and reference must agree; returns their common answer."""
    expected = large_value_hits(txns, pack)
    assert kernel_hits(txns, pack) == expected
    return expected


# ---------------------------------------------------------------- generated data

THRESHOLDS = sorted(
    {c.threshold_cny for c in PBOC_2016.large_value.characteristics}
    | {c.threshold_cny for c in PBOC_2003.large_value.characteristics}
)
USD_THRESHOLDS = sorted(
    {c.threshold_usd for c in PBOC_2016.large_value.characteristics if c.threshold_usd}
)


def near(values: list[Decimal]) -> st.SearchStrategy[Decimal]:
    """Amounts at, just under, half of, and around thresholds; some arbitrary."""
    boundary = st.sampled_from(values).flatmap(
        lambda v: st.sampled_from([v, v - Decimal("0.001"), v / 2, v / 3, v + Decimal("0.001")])
    )
    arbitrary = st.decimals(min_value=0, max_value=5_000_000, places=3)
    return st.one_of(boundary, arbitrary).map(lambda d: d.quantize(Decimal("0.001")))


@st.composite
def transactions(draw: st.DrawFn) -> list[NaiveTxn]:
    n_customers = draw(st.integers(1, 3))
    types = {f"C{i}": draw(st.sampled_from(["individual", "entity"])) for i in range(n_customers)}
    out = []
    for i in range(draw(st.integers(0, 25))):
        customer = f"C{draw(st.integers(0, n_customers - 1))}"
        currency = draw(st.sampled_from(["CNY", "CNY", "USD", "EUR"]))
        cny = draw(near(THRESHOLDS))
        usd = (
            draw(near(USD_THRESHOLDS))
            if currency != "CNY"
            else (cny / Decimal("7.1")).quantize(Decimal("0.001"))
        )
        out.append(
            t(
                f"T{i}",
                customer_id=customer,
                customer_type=types[customer],
                trade_date=DAY + dt.timedelta(days=draw(st.integers(0, 1))),
                direction=draw(st.sampled_from(["in", "out"])),
                currency=currency,
                is_cash=draw(st.booleans()),
                is_cross_border=draw(st.booleans()),
                amount_cny=cny,
                amount_usd=usd,
                exemption_code=draw(
                    st.sampled_from([None, None, None, "interest", "tax", "not-a-code"])
                ),
                counterparty_is_government=draw(st.sampled_from([None, False, True])),
            )
        )
    return out


@settings(max_examples=300, deadline=None)
@given(txns=transactions(), pack=st.sampled_from([PBOC_2016, PBOC_2003]))
def test_kernel_equals_reference_on_generated_transactions(
    txns: list[NaiveTxn], pack: RulePack
) -> None:
    assert kernel_hits(txns, pack) == large_value_hits(txns, pack)


# ---------------------------------------------------------------- named rules (pboc-2016)


def test_thresholds_are_inclusive() -> None:
    assert both([t("A", is_cash=True, amount_cny=Decimal("50000"))]) == {("A", "0501")}
    assert both([t("B", is_cash=True, amount_cny=Decimal("49999.999"))]) == set()


def test_same_day_amounts_cumulate_across_accounts_per_customer() -> None:
    txns = [
        t("A", is_cash=True, amount_cny=Decimal("30000")),
        t("B", is_cash=True, amount_cny=Decimal("20000")),
    ]
    assert both(txns) == {("A", "0501"), ("B", "0501")}


def test_sub_fen_amounts_cumulate_exactly() -> None:
    txns = [
        t("A", is_cash=True, amount_cny=Decimal("24999.995")),
        t("B", is_cash=True, amount_cny=Decimal("25000.005")),
    ]
    assert both(txns) == {("A", "0501"), ("B", "0501")}


def test_receipts_and_payments_are_summed_apart() -> None:
    txns = [
        t("A", is_cash=True, amount_cny=Decimal("30000")),
        t("B", is_cash=True, direction="out", amount_cny=Decimal("30000")),
    ]
    assert both(txns) == set()


def test_different_days_and_customers_do_not_cumulate() -> None:
    txns = [
        t("A", is_cash=True, amount_cny=Decimal("30000")),
        t("B", is_cash=True, amount_cny=Decimal("30000"), trade_date=DAY + dt.timedelta(days=1)),
        t("C", is_cash=True, amount_cny=Decimal("30000"), customer_id="C2"),
    ]
    assert both(txns) == set()


def test_rmb_and_foreign_currency_are_tested_against_their_own_thresholds() -> None:
    txns = [
        t("A", is_cash=True, amount_cny=Decimal("40000")),
        t(
            "B",
            is_cash=True,
            currency="USD",
            amount_cny=Decimal("63900"),
            amount_usd=Decimal("9000"),
        ),
    ]
    assert both(txns) == set()  # 40k CNY < 50k; 9k USD < 10k; never added together
    txns.append(
        t("C", is_cash=True, currency="EUR", amount_cny=Decimal("7700"), amount_usd=Decimal("1000"))
    )
    assert both(txns) == {("B", "0501"), ("C", "0501")}


@pytest.mark.parametrize(
    ("customer_type", "cash", "cross_border", "amount", "codes"),
    [
        ("entity", True, False, "50000", {"0501"}),
        ("entity", False, False, "2000000", {"0502"}),
        ("entity", False, True, "2000000", {"0502"}),
        ("entity", False, False, "1999999.999", set()),
        ("individual", False, False, "500000", {"0503"}),
        ("individual", False, True, "200000", {"0504"}),
        ("individual", False, True, "199999.999", set()),
        ("individual", False, False, "499999.999", set()),
    ],
)
def test_each_characteristic_scope(customer_type, cash, cross_border, amount, codes) -> None:
    txn = t(
        "A",
        customer_type=customer_type,
        is_cash=cash,
        is_cross_border=cross_border,
        amount_cny=Decimal(amount),
    )
    assert {code for _, code in both([txn])} == codes


def test_exempt_records_neither_count_nor_hit() -> None:
    txns = [
        t(
            "A",
            is_cash=True,
            amount_cny=Decimal("60000"),
            exemption_code="interest",
            initiated_by="institution",
        ),
        t("B", is_cash=True, amount_cny=Decimal("30000")),
        t("C", is_cash=True, amount_cny=Decimal("30000"), counterparty_is_government=True),
    ]
    assert both(txns) == set()


def test_an_unknown_exemption_code_does_not_exempt() -> None:
    assert both([t("A", is_cash=True, amount_cny=Decimal("50000"), exemption_code="friend")]) == {
        ("A", "0501")
    }


def test_a_transaction_meeting_several_characteristics_is_reported_under_each() -> None:
    # a pack in which a cross-border transfer also counts as a transfer of any kind
    pack = load_pack("pboc-2016")
    import dataclasses

    extra = dataclasses.replace(pack.large_value.characteristics[2], code="9999", scope="transfer")
    wider = dataclasses.replace(
        pack,
        large_value=dataclasses.replace(
            pack.large_value, characteristics=(*pack.large_value.characteristics, extra)
        ),
    )
    txn = t("A", is_cross_border=True, amount_cny=Decimal("600000"))
    assert both([txn], wider) == {("A", "0504"), ("A", "9999")}


# ---------------------------------------------------------------- legacy pack (pboc-2003)


def test_legacy_pack_takes_single_transactions_only() -> None:
    txns = [
        t("A", is_cash=True, amount_cny=Decimal("150000")),
        t("B", is_cash=True, amount_cny=Decimal("150000")),
    ]
    assert both(txns, PBOC_2003) == set()
    assert both([t("C", is_cash=True, amount_cny=Decimal("200000"))], PBOC_2003) == {("C", "0302")}


def test_legacy_pack_is_rmb_only() -> None:
    txn = t(
        "A",
        is_cash=True,
        currency="USD",
        amount_cny=Decimal("710000"),
        amount_usd=Decimal("100000"),
    )
    assert both([txn], PBOC_2003) == set()


def test_legacy_pack_individual_and_entity_transfers() -> None:
    assert both([t("A", amount_cny=Decimal("200000"))], PBOC_2003) == {("A", "0303")}
    assert (
        both([t("B", customer_type="entity", amount_cny=Decimal("999999.999"))], PBOC_2003) == set()
    )
    assert both([t("C", customer_type="entity", amount_cny=Decimal("1000000"))], PBOC_2003) == {
        ("C", "0301")
    }


# ---------------------------------------------------------------- the wrapper's guard rails


def _input(n: int = 2, **change: np.ndarray) -> LargeValueInput:
    arrays = dict(
        customer=np.zeros(n, np.int64),
        day=np.zeros(n, np.int32),
        out=np.zeros(n, bool),
        entity=np.zeros(n, bool),
        cash=np.ones(n, bool),
        cross_border=np.zeros(n, bool),
        rmb=np.ones(n, bool),
        counted=np.ones(n, bool),
        cny=np.full(n, 30_000_000, np.int64),
        usd=np.zeros(n, np.int64),
    )
    arrays.update(change)
    return LargeValueInput(**arrays)


def test_the_wrapper_refuses_unsorted_rows() -> None:
    with pytest.raises(ScannerInputError, match="sorted by"):
        scan_large_value(_input(customer=np.array([1, 0], np.int64)), PBOC_2016)


def test_the_wrapper_refuses_wrong_dtypes_and_lengths() -> None:
    with pytest.raises(ScannerInputError, match="cny"):
        scan_large_value(_input(cny=np.zeros(2, np.float64)), PBOC_2016)
    with pytest.raises(ScannerInputError, match="day"):
        scan_large_value(_input(day=np.zeros(3, np.int32)), PBOC_2016)


def test_the_wrapper_refuses_negative_amounts() -> None:
    with pytest.raises(ScannerInputError, match="negative"):
        scan_large_value(_input(cny=np.array([5, -1], np.int64)), PBOC_2016)
    with pytest.raises(ScannerInputError, match="negative"):
        scan_large_value(_input(usd=np.array([0, -7], np.int64)), PBOC_2016)


def test_a_day_of_amounts_each_below_every_threshold_still_cumulates() -> None:
    # the early exits must not skip a customer-day whose parts add up to a threshold
    parts = np.full(5, 10_000_000, np.int64)  # five cash deposits of 10,000.000 yuan
    n = parts.shape[0]
    hits = scan_large_value(
        _input(
            customer=np.zeros(n, np.int64),
            day=np.zeros(n, np.int32),
            out=np.zeros(n, bool),
            entity=np.zeros(n, bool),
            cash=np.ones(n, bool),
            cross_border=np.zeros(n, bool),
            rmb=np.ones(n, bool),
            counted=np.ones(n, bool),
            cny=parts,
            usd=np.zeros(n, np.int64),
        ),
        PBOC_2016,
    )
    assert hits.row.tolist() == [0, 1, 2, 3, 4]
    assert hits.total.tolist() == [50_000_000] * 5


def test_the_wrapper_reports_the_cumulative_total() -> None:
    hits = scan_large_value(_input(), PBOC_2016)
    assert hits.row.tolist() == [0, 1]
    assert hits.total.tolist() == [60_000_000, 60_000_000]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),  # customer
            st.integers(0, 2),  # day
            st.booleans(),  # counted
            st.booleans(),  # rmb
            st.sampled_from([0, 1, 9_999_999, 10_000_000, 49_999_999, 50_000_000, 7_000_000]),
        ),
        max_size=40,
    )
)
def test_candidate_rows_keep_exactly_the_days_that_may_hit(rows: list) -> None:
    from amlwatch.scanners.large_value import candidate_rows, lowest_thresholds

    n = len(rows)
    customer = np.array([r[0] for r in rows], np.int64)
    day = np.array([20_000 + r[1] for r in rows], np.int64)
    counted = np.array([r[2] for r in rows], np.bool_)
    rmb = np.array([r[3] for r in rows], np.bool_)
    amount = np.array([r[4] for r in rows], np.int64)
    keep = candidate_rows(customer, day, counted, rmb, amount, amount, PBOC_2016)
    assert keep is not None
    lowest_cny, lowest_usd = lowest_thresholds(PBOC_2016)
    expected = naive.large_value_candidates(
        customer, day, counted, rmb, amount, amount, lowest_cny, lowest_usd
    )
    assert keep.tolist() == expected
    # and scanning only them finds every hit of scanning everything
    order = np.lexsort((day, customer))
    everything = LargeValueInput(
        customer=customer[order],
        day=day[order].astype(np.int32),
        out=np.zeros(n, bool),
        entity=np.zeros(n, bool),
        cash=np.ones(n, bool),
        cross_border=np.zeros(n, bool),
        rmb=rmb[order],
        counted=counted[order],
        cny=amount[order],
        usd=amount[order],
    )
    full = scan_large_value(everything, PBOC_2016)
    full_hits = sorted(
        (int(order[r]), int(k)) for r, k in zip(full.row, full.characteristic, strict=True)
    )
    sub = keep[np.lexsort((day[keep], customer[keep]))]
    only = LargeValueInput(
        customer=customer[sub],
        day=day[sub].astype(np.int32),
        out=np.zeros(len(sub), bool),
        entity=np.zeros(len(sub), bool),
        cash=np.ones(len(sub), bool),
        cross_border=np.zeros(len(sub), bool),
        rmb=rmb[sub],
        counted=counted[sub],
        cny=amount[sub],
        usd=amount[sub],
    )
    part = scan_large_value(only, PBOC_2016)
    assert (
        sorted((int(sub[r]), int(k)) for r, k in zip(part.row, part.characteristic, strict=True))
        == full_hits
    )


def test_candidate_rows_give_way_to_a_full_scan_past_the_cell_limit() -> None:
    from amlwatch.scanners.large_value import candidate_rows

    customer = np.array([0, 1, 2], np.int64)
    day = np.array([20_000, 20_001, 20_002], np.int64)
    flags = np.ones(3, np.bool_)
    amount = np.array([1, 2, 3], np.int64)
    # 3 customers x 3 days = 9 cells: counted at 9, too many at 8 (every row is scanned)
    assert candidate_rows(customer, day, flags, flags, amount, amount, PBOC_2016, 9) is not None
    assert candidate_rows(customer, day, flags, flags, amount, amount, PBOC_2016, 8) is None


def test_more_hits_than_the_first_buffer_holds_are_all_reported() -> None:
    # the kernel starts with room for 1,024 hits and doubles it as it finds more
    txns = [
        t(f"T{i}", customer_id=f"C{i}", is_cash=True, amount_cny=Decimal(50_000))
        for i in range(3_000)
    ]
    expected = large_value_hits(txns, PBOC_2016)
    assert len(expected) >= 3_000
    assert kernel_hits(txns, PBOC_2016) == expected
