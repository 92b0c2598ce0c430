"""Monitoring standards (交易监测标准) as pack data: families, their parameters, statuses.

A standard names the family that computes it (one kernel in `scanners.standards`) and gives
that family's parameters per customer type. The parameter kinds say how a value is written in
the pack and how the kernel takes it: `count` (a whole number), `money` (CNY, at most three
decimals), `ratio` (a decimal, 0.8 = 80 %, at most four decimals), `seconds` (a time of day,
"HH:MM"). Amounts and ratios stay decimals here; the scanners turn them into exact integers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from amlwatch.rules.exceptions import UnknownRulePack

# the lifecycle of 银发〔2017〕108号: a draft is not run; a trial runs every night, its alerts go
# to a tuning list and open no case; a standard in force opens cases; a retired one is not run
STATUSES = ("draft", "trial", "in_force", "retired")
STATUS_NAMES = {"draft": "草稿", "trial": "试运行", "in_force": "生效", "retired": "停用"}
RUNNING = frozenset({"trial", "in_force"})

KINDS = ("count", "money", "ratio", "seconds")

# every family's parameters, in the order of its kernel's parameter table
FAMILY_PARAMS: dict[str, tuple[tuple[str, str], ...]] = {
    # the scatter / concentrate family keeps the section's own thresholds table
    "scatter": (),
    "pass_through": (
        ("hours", "count"),
        ("pair_band", "ratio"),
        ("min_in_cny", "money"),
        ("min_quick_share", "ratio"),
        ("max_residual_share", "ratio"),
        ("min_days", "count"),
    ),
    "structuring": (
        ("threshold_cny", "money"),
        ("band", "ratio"),
        ("min_count", "count"),
        ("min_days", "count"),
        ("min_total_cny", "money"),
        ("cash_only", "count"),
    ),
    "same_party": (
        ("min_rows", "count"),
        ("min_parties", "count"),
        ("min_total_cny", "money"),
    ),
    "night": (
        ("night_from", "seconds"),
        ("night_to", "seconds"),
        ("min_single_cny", "money"),
        ("min_count", "count"),
        ("min_total_cny", "money"),
    ),
    "cash": (
        ("min_single_cny", "money"),
        ("min_count", "count"),
        ("min_total_cny", "money"),
    ),
    "risk_region": (
        ("min_single_cny", "money"),
        ("min_count", "count"),
        ("min_total_cny", "money"),
    ),
    "new_account": (
        ("max_age_days", "count"),
        ("min_count", "count"),
        ("min_total_cny", "money"),
    ),
    "out_of_profile": (
        ("multiple", "ratio"),
        ("min_count", "count"),
        ("min_total_cny", "money"),
    ),
    "dormant": (
        ("idle_days", "count"),
        ("wake_days", "count"),
        ("min_count", "count"),
        ("min_total_cny", "money"),
    ),
    "periodic": (
        ("day_floor_cny", "money"),
        ("min_gap_days", "count"),
        ("max_gap_days", "count"),
        ("jitter_days", "count"),
        ("min_cycles", "count"),
        ("min_count", "count"),
        ("min_total_cny", "money"),
    ),
    "baseline": (
        ("baseline_days", "count"),
        ("min_known_days", "count"),
        ("min_active_days", "count"),
        ("multiple", "ratio"),
        ("min_count", "count"),
        ("min_total_cny", "money"),
    ),
    "open_close": (
        ("min_opened", "count"),
        ("min_closed", "count"),
        ("min_events", "count"),
        ("min_total_cny", "money"),
    ),
    # the network families (`scanners.network`): one structure across several customers, so
    # their parameters are the same for every customer type ([params.common] only)
    "chain": (
        ("max_gap_hours", "count"),
        ("low_share", "ratio"),
        ("high_share", "ratio"),
        ("min_edge_cny", "money"),
        ("max_degree", "count"),
        ("min_hops", "count"),
        ("min_score", "count"),
    ),
    "cycle": (
        ("max_gap_hours", "count"),
        ("low_share", "ratio"),
        ("high_share", "ratio"),
        ("min_edge_cny", "money"),
        ("max_degree", "count"),
        ("max_edges", "count"),
        ("min_score", "count"),
    ),
    # the two fans (`scanners.network.fans`) and the layered structures
    # (`scanners.network.layers`: min_fan customers on each side): the same parameters
    **dict.fromkeys(
        ("scatter_gather", "gather_scatter", "bipartite", "stack"),
        (
            ("max_gap_hours", "count"),
            ("low_share", "ratio"),
            ("high_share", "ratio"),
            ("min_edge_cny", "money"),
            ("max_degree", "count"),
            ("min_fan", "count"),
            ("min_score", "count"),
        ),
    ),
    # the two bursts ending in a pass-through (`scanners.network.bursts`): the fanned parts
    # have a least amount of their own (many small sums gathered into one)
    **dict.fromkeys(
        ("fan_in", "fan_out"),
        (
            ("max_gap_hours", "count"),
            ("low_share", "ratio"),
            ("high_share", "ratio"),
            ("min_edge_cny", "money"),
            ("min_part_cny", "money"),
            ("max_degree", "count"),
            ("min_fan", "count"),
            ("min_score", "count"),
        ),
    ),
}

# the families whose standards look at the bank's transfer graph (a structure of several
# customers), not at one subject's window: the network stage runs them
NETWORK_FAMILIES = frozenset(
    {"chain", "cycle", "scatter_gather", "gather_scatter", "fan_in", "fan_out", "bipartite",
     "stack"}
)  # fmt: skip

# parameters a standard may leave out
FAMILY_DEFAULTS: dict[str, dict[str, int]] = {
    "pass_through": {"pair_band": 100},  # any amount
    "structuring": {"cash_only": 0},
    "cash": {"min_single_cny": 0, "min_count": 1},
    "risk_region": {"min_single_cny": 0},
    "open_close": {"min_opened": 0, "min_closed": 0},
    "out_of_profile": {"min_count": 1},
    "dormant": {"min_count": 1},
    "periodic": {"min_count": 1},
    "baseline": {"min_active_days": 1},
}

FAMILY_NAMES = {
    "scatter": "分散转入集中转出／集中转入分散转出",
    "pass_through": "快进快出、不留余额",
    "structuring": "化整为零、拆分交易",
    "same_party": "相同收付款人之间频繁收付",
    "night": "非营业时间交易",
    "cash": "现金收付",
    "risk_region": "与高风险国家和地区资金往来",
    "new_account": "新开账户短期内大额资金收付",
    "open_close": "频繁开户、销户",
    "out_of_profile": "资金收付与身份、经营规模明显不符",
    "dormant": "长期闲置账户突然启用",
    "periodic": "周期性发生大量资金收付",
    "baseline": "资金收付与客户以往交易明显不符",
    "chain": "资金在本行多个客户之间链式快速转移",
    "cycle": "资金经本行多个客户回流",
    "scatter_gather": "资金经本行多个客户分散转出后集中汇入同一客户",
    "gather_scatter": "多个客户资金集中转入本行同一客户后分散转出",
    "fan_in": "多个客户资金集中转入本行同一客户后随即整笔转出",
    "fan_out": "本行客户收到整笔资金后随即分散转给多个客户",
    "bipartite": "本行多个客户同时向另一组多个客户交叉转账",
    "stack": "资金在本行多组客户之间逐层交叉转移",
}

# the 15 indicators of the 2003 RMB order (令〔2003〕第2号, article 11) most standard sets start
# from, in its order; a standard names those it covers ("2003-06"), the annual evaluation shows
# which the library covers
INDICATORS_2003 = {
    "2003-01": "短期内资金分散转入、集中转出或集中转入、分散转出",
    "2003-02": "资金收付频率及金额与经营规模明显不符",
    "2003-03": "资金收付流向与经营范围明显不符",
    "2003-04": "日常收付与经营特点明显不符",
    "2003-05": "周期性发生大量资金收付，与其性质、业务特点明显不符",
    "2003-06": "相同收付款人之间短期内频繁发生资金收付",
    "2003-07": "长期闲置的账户原因不明地突然启用，且短期内出现大量资金收付",
    "2003-08": "频繁收取与其经营业务明显无关的个人汇款",
    "2003-09": "现金收付金额、频率或用途异常",
    "2003-10": "个人账户短期内累计100万元以上现金收付",
    "2003-11": "与贩毒、走私、恐怖活动严重地区的资金往来明显增多",
    "2003-12": "频繁开户、销户，且销户前发生大量资金收付",
    "2003-13": "有意化整为零，逃避大额交易监测",
    "2003-14": "中国人民银行规定的其他可疑交易",
    "2003-15": "金融机构经判断认为的其他异常交易",
}


@dataclass(frozen=True, slots=True)
class PatternStandard:
    """One monitoring standard (交易监测标准).

    Attributes:
        code: the report's STCR code (≤ 32 characters), unique in the pack.
        name: what it looks for, in Chinese.
        scattered: scatter family only: "in" (scatter-in / concentrate-out) or "out".
        family: which kernel computes it (`FAMILY_PARAMS`).
        status: `STATUSES`; only trial and in-force standards are run.
        version: the standard's own version (a changed parameter is a new version).
        owner: who answers for it (a department or a person).
        window_business_days: its window; None: the suspicious section's.
        params: per customer type it is for (individual, entity), parameter name -> value.
        customer_types: the customer types it is for.
        indicators: the 2003 list's indicators it covers (`INDICATORS_2003`).
        effective_from: the first day it may run (None: with the pack).
        exclude: records this standard does not look at, beyond the section's
            (`[suspicious.exclude]`): "purposes", "tx_methods", "counterparty_accounts".
        by_risk_level: customer risk level code (客户风险等级, e.g. "10" 高) -> the parameters
            that differ for customers at that level in force (over each type's own).
    """

    code: str
    name: str
    scattered: str = ""
    family: str = "scatter"
    status: str = "in_force"
    version: str = "1"
    owner: str = ""
    window_business_days: int | None = None
    params: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    customer_types: tuple[str, ...] = ("individual", "entity")
    indicators: tuple[str, ...] = ()
    effective_from: dt.date | None = None
    exclude: dict[str, frozenset[str]] = field(default_factory=dict)
    by_risk_level: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def at_risk_level(self, level: str) -> dict[str, dict[str, Decimal]]:
        """Its parameters for customers at a risk level (each type's, with the level's own)."""
        return {
            kind: values | self.by_risk_level.get(level, {}) for kind, values in self.params.items()
        }

    @property
    def running(self) -> bool:
        """Whether the nightly scan runs it (trial or in force)."""
        return self.status in RUNNING

    @property
    def opens_cases(self) -> bool:
        """Whether its alerts become cases (in force; a trial's go to the tuning list)."""
        return self.status == "in_force"

    def runs_on(self, day: dt.date) -> bool:
        """Whether it is run for windows ending on `day`."""
        return self.running and (self.effective_from is None or self.effective_from <= day)


def _value(pack: str, code: str, name: str, kind: str, raw: Any) -> Decimal:
    where = f"{pack}: standard {code}: {name}"
    if kind == "seconds":
        try:
            hours, minutes = str(raw).split(":")
            seconds = int(hours) * 3600 + int(minutes) * 60
        except ValueError as exc:
            raise UnknownRulePack(f"{where}: expected HH:MM, got {raw!r}") from exc
        if not 0 <= seconds < 86_400:
            raise UnknownRulePack(f"{where}: {raw!r} is not a time of day")
        return Decimal(seconds)
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise UnknownRulePack(f"{where}: {raw!r} is not a number") from exc
    places = {"count": 0, "money": 3, "ratio": 4}[kind]
    if value < 0 or value != value.quantize(Decimal(1).scaleb(-places)):
        raise UnknownRulePack(f"{where}: {raw!r} must be >= 0 with at most {places} decimals")
    if kind == "ratio" and value > 100:
        raise UnknownRulePack(f"{where}: {raw!r} is not a ratio")
    return value


# what a standard may exclude of its own: the columns of the section's `[suspicious.exclude]`
EXCLUDE_KEYS = ("purposes", "tx_methods", "counterparty_accounts")


def _exclude(pack: str, code: str, family: str, raw: Any) -> dict[str, frozenset[str]]:
    """A standard's own exclusions, checked: known keys, lists of non-empty strings."""
    if not raw:
        return {}
    where = f"{pack}: standard {code}: exclude"
    if family == "scatter":  # its two standards share one kernel run: the section's
        raise UnknownRulePack(f"{where}: scatter standards take [suspicious.exclude] only")
    if not isinstance(raw, dict) or not set(raw) <= set(EXCLUDE_KEYS):
        raise UnknownRulePack(f"{where}: only {', '.join(EXCLUDE_KEYS)}")
    out = {}
    for key, values in raw.items():
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise UnknownRulePack(f"{where}.{key}: a list of non-empty strings")
        if values:
            out[key] = frozenset(values)
    return out


def _by_risk_level(
    pack: str, code: str, family: str, spec: dict[str, str], raw: Any
) -> dict[str, dict[str, Decimal]]:
    """A standard's parameters per customer risk level, checked: level codes of digits (the
    rating model's, 10 高 … 14 低), its family's parameter names and kinds."""
    if not raw:
        return {}
    where = f"{pack}: standard {code}: by_risk_level"
    if family == "scatter" or family in NETWORK_FAMILIES:  # one run for all customers
        raise UnknownRulePack(f"{where}: not for the scatter and network families")
    if not isinstance(raw, dict) or not all(isinstance(v, dict) and v for v in raw.values()):
        raise UnknownRulePack(f'{where}: a table per level code, e.g. [by_risk_level."10"]')
    out = {}
    for level, values in raw.items():
        unknown = sorted(set(values) - set(spec))
        if not str(level).isdigit() or unknown:
            raise UnknownRulePack(f"{where}.{level}: a level code of digits; unknown {unknown}")
        out[str(level)] = {n: _value(pack, code, n, spec[n], v) for n, v in values.items()}
    return out


def parse_standard(pack: str, item: dict[str, Any]) -> PatternStandard:
    """One `[[suspicious.standards]]` item, checked against its family's parameters."""
    code = str(item["code"])
    if len(code) > 32:
        raise UnknownRulePack(f"{pack}: standard code {code!r} is over 32 characters")
    family = str(item.get("family", "scatter"))
    if family not in FAMILY_PARAMS:
        raise UnknownRulePack(
            f"{pack}: standard {code}: unknown family {family!r}; known: {sorted(FAMILY_PARAMS)}"
        )
    status = str(item.get("status", "in_force"))
    if status not in STATUSES:
        raise UnknownRulePack(f"{pack}: standard {code}: status must be one of {STATUSES}")
    scattered = str(item.get("scattered", ""))
    if family == "scatter" and scattered not in ("in", "out"):
        raise UnknownRulePack(f"{pack}: standard {code}: scattered must be in or out")
    indicators = tuple(str(i) for i in item.get("indicators", ()))
    unknown_indicators = sorted(set(indicators) - set(INDICATORS_2003))
    if unknown_indicators:
        raise UnknownRulePack(f"{pack}: standard {code}: unknown indicators {unknown_indicators}")
    window = item.get("window_business_days")
    if window is not None and not 1 <= int(window) <= 250:
        raise UnknownRulePack(f"{pack}: standard {code}: window_business_days in 1 .. 250")
    spec = dict(FAMILY_PARAMS[family])
    params: dict[str, dict[str, Decimal]] = {}
    raw = item.get("params", {})
    types = tuple(item.get("customer_types", ("individual", "entity")))
    if not types or not set(types) <= {"individual", "entity"}:
        raise UnknownRulePack(f"{pack}: standard {code}: customer_types: individual, entity")
    if family in NETWORK_FAMILIES and not set(raw) <= {"common"}:
        raise UnknownRulePack(
            f"{pack}: standard {code}: a network standard's parameters are [params.common] "
            "(a structure spans customers of both types)"
        )
    if family in NETWORK_FAMILIES and item.get("exclude"):
        raise UnknownRulePack(f"{pack}: standard {code}: a network standard excludes nothing")
    if family in NETWORK_FAMILIES and set(types) != {"individual", "entity"}:
        raise UnknownRulePack(
            f"{pack}: standard {code}: a network standard is for every customer type"
        )
    defaults = FAMILY_DEFAULTS.get(family, {})
    for customer_type in types if spec else ():
        given = defaults | dict(raw.get("common", {})) | dict(raw.get(customer_type, {}))
        unknown = sorted(set(given) - set(spec))
        missing = sorted(set(spec) - set(given))
        if unknown or missing:
            raise UnknownRulePack(
                f"{pack}: standard {code}: {customer_type} parameters: "
                f"unknown {unknown}, missing {missing}"
            )
        params[customer_type] = {
            name: _value(pack, code, name, kind, given[name]) for name, kind in spec.items()
        }
    return PatternStandard(
        exclude=_exclude(pack, code, family, item.get("exclude", {})),
        by_risk_level=_by_risk_level(pack, code, family, spec, item.get("by_risk_level", {})),
        code=code,
        name=str(item["name"]),
        scattered=scattered,
        family=family,
        status=status,
        version=str(item.get("version", "1")),
        owner=str(item.get("owner", "")),
        window_business_days=None if window is None else int(window),
        params=params,
        customer_types=types,
        indicators=indicators,
        effective_from=item.get("effective_from"),
    )
