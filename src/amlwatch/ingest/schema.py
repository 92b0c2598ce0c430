"""The input columns of the data contract, as validation specs."""

from __future__ import annotations

from amlwatch.models import Column, ColumnType, InputKind

S, E, B, D, T, DT, C = (
    ColumnType.STRING,
    ColumnType.ENUM,
    ColumnType.BOOL,
    ColumnType.DECIMAL,
    ColumnType.TIMESTAMP,
    ColumnType.DATE,
    ColumnType.CURRENCY,
)

_OPTIONAL_TXN_STRINGS = (
    "tx_method counterparty_name counterparty_account counterparty_account_type "
    "counterparty_id_type counterparty_id_number counterparty_bank_name counterparty_bank_code "
    "counterparty_bank_code_type counterparty_region exemption_code branch_code location purpose "
    "channel device foreign_receipt_code match_no_type match_no agent_name agent_id_type "
    "agent_id_number agent_nationality"
).split()

TRANSACTIONS: tuple[Column, ...] = (
    Column("txn_id", S, required=True),
    Column("booked_at", T, required=True),
    Column("customer_id", S, required=True),
    Column("account_id", S, required=True),
    Column("direction", E, required=True, choices=("in", "out")),
    Column("amount", D, required=True, non_negative=True),
    Column("currency", C, required=True),
    Column("is_cash", B, required=True),
    Column("is_cross_border", B, required=True),
    Column("amount_cny", D, non_negative=True),
    Column("amount_usd", D, non_negative=True),
    Column("counterparty_is_government", B),
    *(Column(name) for name in _OPTIONAL_TXN_STRINGS),
    # article 7's conditions: the other leg's currency of a conversion, and who initiated it
    Column("counter_currency", C),
    Column("initiated_by", E, choices=("institution", "customer")),
)

CUSTOMERS: tuple[Column, ...] = (
    Column("customer_id", S, required=True),
    Column("name", S, required=True),
    Column("customer_type", E, required=True, choices=("individual", "entity")),
    Column("id_type", S, required=True),
    Column("id_number", S, required=True),
    *(
        Column(name)
        for name in (
            "nationality occupation_or_industry address phone other_contact legal_rep_name "
            "legal_rep_id_type legal_rep_id_number controller_name controller_id_type "
            "controller_id_number branch_code"
        ).split()
    ),
    Column("is_state_organ", B),  # a state organ (article 7 (三)): not its firms or institutions
    Column("is_pep", B),  # a politically exposed person (政治公众人物): the risk rating weighs it
    # what the customer declared (客户身份资料): a person's annual income, a firm's registered
    # capital, CNY — the out-of-profile standards weigh the flows against them
    Column("declared_income_cny", D, non_negative=True),
    Column("registered_capital_cny", D, non_negative=True),
)

ACCOUNTS: tuple[Column, ...] = (
    Column("account_id", S, required=True),
    Column("customer_id", S, required=True),
    Column("account_type"),
    Column("opened_at", T),
    Column("closed_at", T),
    Column("card_type"),
    Column("card_number"),
    # the core system's 上次动户日: the last day the account moved money, as of the file's
    # date — the dormant-account standards see sleeps longer than the warehouse's history
    Column("last_moved_on", DT),
)

FX_RATES: tuple[Column, ...] = (
    Column("rate_date", DT, required=True),
    Column("currency", C, required=True),
    Column("cny_per_unit", D, required=True, positive=True, scale=8),
)

SPECS: dict[InputKind, tuple[Column, ...]] = {
    InputKind.TRANSACTIONS: TRANSACTIONS,
    InputKind.CUSTOMERS: CUSTOMERS,
    InputKind.ACCOUNTS: ACCOUNTS,
    InputKind.FX_RATES: FX_RATES,
}

# The key that identifies a row within one file (duplicates of it are rejected).
KEYS: dict[InputKind, tuple[str, ...]] = {
    InputKind.TRANSACTIONS: ("txn_id",),
    InputKind.CUSTOMERS: ("customer_id",),
    InputKind.ACCOUNTS: ("account_id",),
    InputKind.FX_RATES: ("rate_date", "currency"),
}
