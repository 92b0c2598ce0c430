"""Rule packs: thresholds, codes and windows as versioned data with effective dates."""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from amlwatch.rules.exceptions import UnknownRulePack
from amlwatch.rules.standards import PatternStandard, parse_standard

SCOPES = ("cash", "transfer", "domestic_transfer", "cross_border_transfer")
# a standard's own exclusions are cut into the records' one-byte kind, after the bits of
# cash (1), cross-border (2) and a high-risk region (4) (`scanners.patterns.KIND_*`): one bit
# each, 8 to 128
KIND_FIRST_EXCLUDED = 8
MAX_OWN_EXCLUSIONS = 5


@dataclass(frozen=True, slots=True)
class LargeValueCharacteristic:
    """One large-value characteristic (大额交易特征), e.g. 0501 cash."""

    code: str
    name: str
    scope: str
    customer_types: tuple[str, ...]
    threshold_cny: Decimal
    threshold_usd: Decimal | None


STATE_ORGAN_PARTIES = ("either", "counterparty", "none")
CURRENCY_CONDITIONS = ("any", "foreign_to_foreign")
COUNTERPARTY_CONDITIONS = ("any", "own_account")


@dataclass(frozen=True, slots=True)
class Exemption:
    """One exemption of the order (e.g. article 7 of the 2016 order), with the conditions
    under which it applies; a record carrying its code is exempt only where they all hold.

    Attributes:
        code: the `exemption_code` value (data contract) that claims it.
        article: where the order says it, e.g. 第七条（一）.
        name: what it is, in the order's words.
        customer_types: the customers it is for (individual, entity).
        currencies: `foreign_to_foreign`: the record's currency and its counter-currency
            (`counter_currency`) are two different foreign currencies; `any`.
        counterparty: `own_account`: the counterparty account is another account of the same
            customer at this bank (same name, same institution); `any`.
        initiated_by: `institution`: the record must say the bank initiated it
            (`initiated_by`); None: anyone.
    """

    code: str
    article: str = ""
    name: str = ""
    customer_types: tuple[str, ...] = ("individual", "entity")
    currencies: str = "any"
    counterparty: str = "any"
    initiated_by: str | None = None

    @property
    def unconditional(self) -> bool:
        return (
            set(self.customer_types) == {"individual", "entity"}
            and self.currencies == "any"
            and self.counterparty == "any"
            and self.initiated_by is None
        )


@dataclass(frozen=True, slots=True)
class LargeValueRule:
    """The large-value part of a pack."""

    cumulate_same_day: bool
    rmb_only: bool
    characteristics: tuple[LargeValueCharacteristic, ...]
    exemptions: tuple[Exemption, ...] = ()
    # 第七条（三）: a party that is a state organ exempts the record — either party (the
    # customer's `is_state_organ` or the counterparty's flag), the counterparty only, or none
    state_organ_party: str = "either"
    # the bank's own names for exemption codes: name as exported -> the pack's code
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def exemption_codes(self) -> frozenset[str]:
        """Every code of the pack's exemptions."""
        return frozenset(e.code for e in self.exemptions)

    def names_of(self, code: str) -> list[str]:
        """The values that claim `code` in an export: the code and its aliases."""
        return sorted({code, *(alias for alias, target in self.aliases if target == code)})

    @property
    def known_codes(self) -> frozenset[str]:
        """Every exemption value this pack understands (codes and aliases)."""
        return self.exemption_codes | {alias for alias, _ in self.aliases}


@dataclass(frozen=True, slots=True)
class PatternThresholds:
    """When a window is a pattern, for one customer type (individual or entity).

    Amounts are CNY; ratios are decimals (0.8 = 80%).
    """

    min_scattered_parties: int
    max_concentrated_parties: int
    min_amount_cny: Decimal
    through_flow_min: Decimal
    through_flow_max: Decimal
    min_follow_share: Decimal


@dataclass(frozen=True, slots=True)
class SuspiciousRule:
    """The suspicious-pattern part of a pack: window, subject, standards, thresholds."""

    window_business_days: int
    subject: str  # customer | account
    standards: tuple[PatternStandard, ...]
    thresholds: dict[str, PatternThresholds]  # by customer type
    exclude_purposes: frozenset[str]
    exclude_counterparty_accounts: frozenset[str]
    exclude_tx_methods: frozenset[str]
    top_counterparties: int
    # counterparty regions (ISO 3166 alpha-3, the first three characters of CFRC) the
    # high-risk-region standards look for
    high_risk_regions: frozenset[str] = frozenset()

    def running(self, day: dt.date | None = None) -> tuple[PatternStandard, ...]:
        """The standards the scan runs (trial and in force; on `day` when given)."""
        return tuple(
            s for s in self.standards if (s.runs_on(day) if day is not None else s.running)
        )

    def window_of(self, standard: PatternStandard) -> int:
        """The standard's window in business days (its own, or the section's)."""
        return standard.window_business_days or self.window_business_days

    def own_exclusions(self) -> list[tuple[PatternStandard, int]]:
        """The running standards with exclusions of their own, each with its bit of the
        records' kind (`KIND_FIRST_EXCLUDED` and up), in pack order."""
        mine = [s for s in self.standards if s.exclude and s.running]
        return [(s, KIND_FIRST_EXCLUDED << i) for i, s in enumerate(mine)]

    def standard(self, code: str) -> PatternStandard:
        """The standard with that code."""
        for s in self.standards:
            if s.code == code:
                return s
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class RulePack:
    """A named, versioned set of rules with the dates it is in force."""

    name: str
    version: str
    title: str
    effective_from: dt.date
    effective_to: dt.date | None
    report_due_working_days: int
    large_value: LargeValueRule
    suspicious: SuspiciousRule | None
    raw: dict[str, Any]

    @property
    def label(self) -> str:
        """`name@version`, as recorded on every hit."""
        return f"{self.name}@{self.version}"


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """`overlay` on top of `base`: tables merge key by key, lists of coded tables code by
    code (`_merge_coded`), anything else replaces."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        elif _coded(value) and _coded(merged.get(key)):
            merged[key] = _merge_coded(merged[key], value)
        else:
            merged[key] = value
    return merged


def _coded(value: Any) -> bool:
    """A list of tables that each have a `code` (standards, characteristics)."""
    return isinstance(value, list) and all(isinstance(v, dict) and "code" in v for v in value)


def _merge_coded(base: list[dict[str, Any]], overlay: list[dict[str, Any]]) -> list[Any]:
    """Items by code: an overlay item changes the base item of its code (key by key), a new
    code is added at the end; the base's order is kept."""
    merged = {item["code"]: item for item in base}
    for item in overlay:
        merged[item["code"]] = _merge(merged.get(item["code"], {}), item)
    return list(merged.values())


def _suspicious(data: dict[str, Any]) -> SuspiciousRule | None:
    sp = data.get("suspicious")
    if sp is None:
        return None
    name = data["name"]
    subject = sp.get("subject", "customer")
    if subject not in ("customer", "account"):
        raise UnknownRulePack(f"{name}: suspicious.subject must be customer or account")
    standards = [parse_standard(name, item) for item in sp["standards"]]
    codes = [s.code for s in standards]
    if len(set(codes)) != len(codes):
        raise UnknownRulePack(f"{name}: a standard code is used twice")
    own = [s.code for s in standards if s.exclude]
    if len(own) > MAX_OWN_EXCLUSIONS:
        raise UnknownRulePack(
            f"{name}: {len(own)} standards have exclusions of their own ({', '.join(own)}); at "
            f"most {MAX_OWN_EXCLUSIONS} may: put what they share in [suspicious.exclude]"
        )
    thresholds = {}
    for customer_type in ("individual", "entity"):
        t = sp["thresholds"][customer_type]
        thresholds[customer_type] = PatternThresholds(
            min_scattered_parties=int(t["min_scattered_parties"]),
            max_concentrated_parties=int(t["max_concentrated_parties"]),
            min_amount_cny=Decimal(str(t["min_amount_cny"])),
            through_flow_min=Decimal(str(t["through_flow_min"])),
            through_flow_max=Decimal(str(t["through_flow_max"])),
            min_follow_share=Decimal(str(t["min_follow_share"])),
        )
        if thresholds[customer_type].through_flow_min > thresholds[customer_type].through_flow_max:
            raise UnknownRulePack(f"{name}: {customer_type}: through_flow_min > through_flow_max")
    exclude = sp.get("exclude", {})
    return SuspiciousRule(
        window_business_days=int(sp["window_business_days"]),
        subject=subject,
        standards=tuple(standards),
        thresholds=thresholds,
        exclude_purposes=frozenset(exclude.get("purposes", ())),
        exclude_counterparty_accounts=frozenset(exclude.get("counterparty_accounts", ())),
        exclude_tx_methods=frozenset(exclude.get("tx_methods", ())),
        top_counterparties=int(sp.get("top_counterparties", 5)),
        high_risk_regions=_regions(name, sp.get("high_risk_regions", ())),
    )


def _regions(pack: str, values: Any) -> frozenset[str]:
    regions = frozenset(str(v) for v in values)
    bad = sorted(
        r for r in regions if not (len(r) == 3 and r.isascii() and r.isalpha() and r.isupper())
    )
    if bad:
        raise UnknownRulePack(f"{pack}: high_risk_regions must be ISO alpha-3 codes, not {bad}")
    return regions


def _exemptions(pack: str, data: dict[str, Any]) -> dict[str, Any]:
    """The exemptions table: items with their conditions (or a legacy plain list of codes,
    which apply unconditionally), the state-organ rule and the bank's aliases."""
    items = [Exemption(code=str(c)) for c in data.get("codes", ())]
    for item in data.get("items", ()):
        exemption = Exemption(
            code=str(item["code"]),
            article=str(item.get("article", "")),
            name=str(item.get("name", "")),
            customer_types=tuple(item.get("customer_types", ("individual", "entity"))),
            currencies=str(item.get("currencies", "any")),
            counterparty=str(item.get("counterparty", "any")),
            initiated_by=item.get("initiated_by"),
        )
        if exemption.currencies not in CURRENCY_CONDITIONS:
            raise UnknownRulePack(f"{pack}: exemption {exemption.code}: currencies?")
        if exemption.counterparty not in COUNTERPARTY_CONDITIONS:
            raise UnknownRulePack(f"{pack}: exemption {exemption.code}: counterparty?")
        if exemption.initiated_by not in (None, "institution"):
            raise UnknownRulePack(f"{pack}: exemption {exemption.code}: initiated_by?")
        if not set(exemption.customer_types) <= {"individual", "entity"}:
            raise UnknownRulePack(f"{pack}: exemption {exemption.code}: customer_types?")
        items = [i for i in items if i.code != exemption.code] + [exemption]
    if "state_organ_party" in data:
        state = str(data["state_organ_party"])
    else:  # the legacy switch: a state-organ counterparty only
        state = "counterparty" if data.get("government_counterparty", True) else "none"
    if state not in STATE_ORGAN_PARTIES:
        raise UnknownRulePack(f"{pack}: state_organ_party must be one of {STATE_ORGAN_PARTIES}")
    codes = {i.code for i in items}
    aliases = tuple(sorted((str(k), str(v)) for k, v in data.get("aliases", {}).items()))
    unknown = sorted(v for _, v in aliases if v not in codes)
    if unknown:
        raise UnknownRulePack(f"{pack}: aliases name unknown exemption codes {unknown}")
    return {"exemptions": tuple(items), "state_organ_party": state, "aliases": aliases}


def _parse(data: dict[str, Any]) -> RulePack:
    lv = data["large_value"]
    characteristics = []
    for item in lv["characteristics"]:
        if item["scope"] not in SCOPES:
            raise UnknownRulePack(f"{data['name']}: unknown scope {item['scope']!r}")
        usd = item.get("threshold_usd")
        characteristics.append(
            LargeValueCharacteristic(
                code=item["code"],
                name=item["name"],
                scope=item["scope"],
                customer_types=tuple(item["customer_types"]),
                threshold_cny=Decimal(item["threshold_cny"]),
                threshold_usd=None if usd is None else Decimal(usd),
            )
        )
    return RulePack(
        name=data["name"],
        version=str(data["version"]),
        title=data.get("title", ""),
        effective_from=data["effective_from"],
        effective_to=data.get("effective_to"),
        report_due_working_days=int(data.get("report_due_working_days", 5)),
        large_value=LargeValueRule(
            cumulate_same_day=bool(lv["cumulate_same_day"]),
            rmb_only=bool(lv.get("rmb_only", False)),
            characteristics=tuple(characteristics),
            **_exemptions(data["name"], lv.get("exemptions", {})),
        ),
        suspicious=_suspicious(data),
        raw=data,
    )


@cache
def bundled_packs() -> dict[str, RulePack]:
    """The packs shipped in the package, by name."""
    packs = {}
    for entry in resources.files("amlwatch.rules").joinpath("packs").iterdir():
        if entry.name.endswith(".toml"):
            pack = _parse(tomllib.loads(entry.read_text(encoding="utf-8")))
            packs[pack.name] = pack
    return packs


def load_pack(name_or_path: str | Path) -> RulePack:
    """A bundled pack by name, or a pack file (TOML) by path."""
    packs = bundled_packs()
    if str(name_or_path) in packs:
        return packs[str(name_or_path)]
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
        base = data.pop("extends", None)
        if base is not None:
            if base not in packs:
                raise UnknownRulePack(f"{path}: extends unknown pack {base!r}")
            # the label names the file and its exact content, never the base pack's version
            data.setdefault("name", f"{base}+{path.stem}")
            data.setdefault("version", hashlib.sha256(text.encode()).hexdigest()[:10])
            data = _merge(packs[base].raw, data)
        try:
            return _parse(data)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise UnknownRulePack(f"{path}: not a valid rule pack: {exc!r}") from exc
    raise UnknownRulePack(
        f"no rule pack {name_or_path!r}; bundled: {', '.join(sorted(packs))}, or give a .toml path"
    )


def pack_for(day: dt.date) -> RulePack:
    """The bundled pack in force on `day` (the latest effective one)."""
    candidates = [
        pack
        for pack in bundled_packs().values()
        if pack.effective_from <= day and (pack.effective_to is None or day <= pack.effective_to)
    ]
    if not candidates:
        raise UnknownRulePack(f"no bundled rule pack is in force on {day}")
    return max(candidates, key=lambda pack: pack.effective_from)
