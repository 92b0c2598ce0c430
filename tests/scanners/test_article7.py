"""Article 7 of the 2016 order, item by item and both ways, through the real stage: a record
is exempt exactly where its item's conditions hold, and reported where one fails; the legacy
pack keeps that regime's plain list.

C1 is a natural person with accounts …011 and …012; C2 a firm with account …021
(tests/conftest.py). Amounts are well over the thresholds of 0502 / 0503.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amlwatch.ingest import ingest_business_date
from amlwatch.stages.large_value import scan_large_value_dates
from amlwatch.warehouse import Warehouse
from tests.conftest import CUSTOMERS, DAY, txn, write_day

OWN_OTHER, OWN, FIRM = "6222000000000000012", "6222000000000000011", "3100000000000000021"
PERSON = {"customer_id": "C1", "account_id": OWN, "amount": "600000.00"}  # 0503 ≥ 500,000
COMPANY = {"customer_id": "C2", "account_id": FIRM, "amount": "2500000.00"}  # 0502 ≥ 2,000,000


def scanned(
    warehouse: Warehouse,
    inbox: Path,
    row: dict[str, str],
    pack: str | None = None,
    customers: list[dict[str, str]] = CUSTOMERS,
) -> set[str]:
    """The characteristics the one record `T1` is reported under."""
    write_day(inbox, DAY, [txn("T1", **row)], customers=customers)
    ingest_business_date(warehouse, inbox, DAY)
    scan_large_value_dates(warehouse, [DAY], pack)
    return {
        r[1]
        for r in warehouse.rows("SELECT txn_id, characteristic_code FROM large_value_transactions")
    }


EXEMPT = [
    # (一) into another account of the same name at the same bank
    ("rollover_to_own_account", {**PERSON, "exemption_code": "rollover", "counterparty_account": OWN_OTHER}),
    # (二) a natural person's conversion between two foreign currencies
    ("fx_usd_to_eur", {**PERSON, "amount": "150000", "currency": "USD",
                       "exemption_code": "fx_conversion", "counter_currency": "EUR"}),
    # (三) a state organ on either side
    ("state_organ_counterparty", {**COMPANY, "counterparty_is_government": "true"}),
    # (四)–(八) as listed
    ("interbank", {**COMPANY, "exemption_code": "interbank"}),
    ("gold_exchange", {**COMPANY, "exemption_code": "gold_exchange"}),
    ("internal_transfer", {**COMPANY, "exemption_code": "internal_transfer"}),
    ("intl_loan", {**COMPANY, "exemption_code": "intl_loan"}),
    ("debt_swap", {**COMPANY, "exemption_code": "debt_swap"}),
    # (九) tax, reversal, interest the bank initiates
    ("tax_by_the_bank", {**COMPANY, "exemption_code": "tax", "initiated_by": "institution"}),
    ("reversal_by_the_bank", {**PERSON, "exemption_code": "reversal", "initiated_by": "institution"}),
    ("interest_by_the_bank", {**PERSON, "exemption_code": "interest", "initiated_by": "institution"}),
]  # fmt: skip

REPORTED = [
    # (一) only into the customer's *own* other account
    ("rollover_to_another_customer", {**PERSON, "exemption_code": "rollover", "counterparty_account": FIRM}, "0503"),
    ("rollover_to_the_same_account", {**PERSON, "exemption_code": "rollover", "counterparty_account": OWN}, "0503"),
    ("rollover_to_another_bank", {**PERSON, "exemption_code": "rollover", "counterparty_account": "9999"}, "0503"),
    # (二) RMB ↔ foreign currency is not exempt, nor a firm's conversion, nor an unknown leg
    ("fx_rmb_to_usd", {**PERSON, "amount": "150000", "currency": "USD",
                       "exemption_code": "fx_conversion", "counter_currency": "CNY"}, "0503"),
    ("fx_counter_unknown", {**PERSON, "amount": "150000", "currency": "USD",
                            "exemption_code": "fx_conversion"}, "0503"),
    ("fx_same_currency", {**PERSON, "amount": "150000", "currency": "USD",
                          "exemption_code": "fx_conversion", "counter_currency": "USD"}, "0503"),
    ("fx_by_a_firm", {**COMPANY, "amount": "300000", "currency": "USD",
                      "exemption_code": "fx_conversion", "counter_currency": "EUR"}, "0502"),
    # (三) public institutions and state firms are not state organs
    ("public_institution", {**COMPANY, "counterparty_name": "北京市住房公积金管理中心",
                            "counterparty_is_government": "false"}, "0502"),
    # (九) not when the customer initiates it, nor when nobody says who did
    ("tax_by_the_customer", {**COMPANY, "exemption_code": "tax", "initiated_by": "customer"}, "0502"),
    ("interest_by_the_customer", {**PERSON, "exemption_code": "interest", "initiated_by": "customer"}, "0503"),
    ("reversal_initiator_unknown", {**PERSON, "exemption_code": "reversal"}, "0503"),
    # a code the pack does not know exempts nothing
    ("unknown_code", {**PERSON, "exemption_code": "time_deposit_rollover", "counterparty_account": OWN_OTHER}, "0503"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "row"), EXEMPT, ids=[n for n, _ in EXEMPT])
def test_article_7_exempts_where_its_conditions_hold(
    warehouse: Warehouse, inbox: Path, name: str, row: dict[str, str]
) -> None:
    assert scanned(warehouse, inbox, row) == set()
    # the same record without its claim is reported: the exemption is what made the difference
    plain = {
        k: v for k, v in row.items() if k not in ("exemption_code", "counterparty_is_government")
    }
    assert scanned(warehouse, inbox, plain) != set()


@pytest.mark.parametrize(("name", "row", "code"), REPORTED, ids=[n for n, _, _ in REPORTED])
def test_article_7_reports_where_a_condition_fails(
    warehouse: Warehouse, inbox: Path, name: str, row: dict[str, str], code: str
) -> None:
    assert scanned(warehouse, inbox, row) == {code}


def test_a_state_organ_customer_is_exempt_as_either_party(
    warehouse: Warehouse, inbox: Path
) -> None:
    organ = [{**c, "is_state_organ": "true"} if c["customer_id"] == "C2" else c for c in CUSTOMERS]
    assert scanned(warehouse, inbox, COMPANY, customers=organ) == set()
    # the legacy regime exempted a state-organ counterparty only
    assert scanned(warehouse, inbox, COMPANY, "pboc-2003", customers=organ) != set()


def test_a_banks_own_code_names_map_to_the_packs(
    warehouse: Warehouse, inbox: Path, tmp_path: Path
) -> None:
    pack = tmp_path / "bank.toml"
    pack.write_text(
        'extends = "pboc-2016"\nname = "bank-2026"\n'
        '[large_value.exemptions.aliases]\ntime_deposit_rollover = "rollover"\n',
        encoding="utf-8",
    )
    own = {**PERSON, "exemption_code": "time_deposit_rollover", "counterparty_account": OWN_OTHER}
    assert scanned(warehouse, inbox, own, str(pack)) == set()
    # the alias claims rollover, with rollover's conditions
    other = {**own, "counterparty_account": FIRM}
    assert scanned(warehouse, inbox, other, str(pack)) == {"0503"}


def test_the_legacy_pack_exempts_its_list_without_conditions(
    warehouse: Warehouse, inbox: Path
) -> None:
    row = {**COMPANY, "amount": "1500000", "exemption_code": "interest", "initiated_by": "customer"}
    assert scanned(warehouse, inbox, row, "pboc-2003") == set()
    # without the claim, 1,500,000 between firms is a legacy large-value transfer (≥ 1,000,000)
    plain = {k: v for k, v in row.items() if k != "exemption_code"}
    assert scanned(warehouse, inbox, plain, "pboc-2003") != set()
