"""Rule packs: thresholds, codes and windows as versioned data with effective dates."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from amlwatch.rules.exceptions import UnknownRulePack

SCOPES = ("cash", "transfer", "domestic_transfer", "cross_border_transfer")


@dataclass(frozen=True, slots=True)
class LargeValueCharacteristic:
    """One large-value characteristic (大额交易特征), e.g. 0501 cash."""

    code: str
    name: str
    scope: str
    customer_types: tuple[str, ...]
    threshold_cny: Decimal
    threshold_usd: Decimal | None


@dataclass(frozen=True, slots=True)
class LargeValueRule:
    """The large-value part of a pack."""

    cumulate_same_day: bool
    rmb_only: bool
    characteristics: tuple[LargeValueCharacteristic, ...]
    exemption_codes: frozenset[str]
    government_counterparty_exempt: bool


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
    raw: dict[str, Any]

    @property
    def label(self) -> str:
        """`name@version`, as recorded on every hit."""
        return f"{self.name}@{self.version}"


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
    exemptions = lv.get("exemptions", {})
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
            exemption_codes=frozenset(exemptions.get("codes", ())),
            government_counterparty_exempt=bool(exemptions.get("government_counterparty", True)),
        ),
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
        return _parse(tomllib.loads(path.read_text(encoding="utf-8")))
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
