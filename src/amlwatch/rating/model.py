"""A customer risk rating model as data (客户洗钱风险等级评定模型): factors with their scores
and weights, hard rules that set a level at least, the levels with their review intervals.

A model is a TOML file (`rating/models/*.toml`, or the bank's own file): checked whole when
loaded, refused with the place and the reason when anything in it cannot be used as written.
The guideline (银发〔2013〕2号) fixes what is checked here: the four groups of factors are
all present, there are at least three levels, the highest is reviewed at least every 6 months
and each lower level at no more than twice the interval of the one above.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from amlwatch.rating.exceptions import RatingModelError

# the factor groups of the guideline, and the bank's own monitoring history beside them
GROUPS = {
    "customer": "客户特性",
    "region": "地域",
    "business": "业务（产品、服务、渠道）",
    "industry": "行业（职业）",
    "history": "监测记录",
}
REQUIRED_GROUPS = ("customer", "region", "business", "industry")

# what the flow provides, per customer, and of which kind (the model says how each is scored)
INPUTS = {
    "customer_type": "category",  # individual / entity
    "id_type": "category",  # spec 10.1
    "nationality": "category",  # ISO alpha-3
    "occupation": "category",  # GB/T 6565 occupation or GB/T 4754 industry code
    "is_pep": "flag",  # a politically exposed person (the customers file's flag)
    "state_organ": "flag",
    "accounts": "number",  # accounts held
    "txn_count": "number",  # records in the window
    "total_cny": "number",  # receipts and payments in the window, yuan
    "cash_share": "number",  # cash's share of the window's amount, 0..1
    "cross_border_share": "number",
    "risk_region_share": "number",  # share with the high-risk regions of the rule pack
    "agent_share": "number",  # share of records an agent made (代办)
    "night_share": "number",  # share of records booked 22:00-06:00
    "online_share": "number",  # share of records through non-counter channels
    "declared_multiple": "number",  # yearly flows over declared income / registered capital
    "customer_days": "number",  # days since the customer was first known
    "alerts": "number",  # suspicious alerts in the last 365 days
    "cases": "number",  # review cases opened in the last 365 days
    "reports": "number",  # cases approved for a suspicious report or reported (ever)
    "list_review": "number",  # screening matches in the review band, not yet dismissed
    "list_hit": "flag",  # a confirmed list hit
}
KINDS = ("category", "flag", "bands")
MAX_TOP_MONTHS = 6  # the highest level: reviewed at least every 6 months
MIN_LEVELS = 3
MODELS = resources.files("amlwatch.rating") / "models"


@dataclass(frozen=True, slots=True)
class Level:
    code: str  # the inspection data's level code (10 高 … 14 低) where it has one
    name: str
    min_score: int  # 0..100: a score at least this is this level (the highest level first)
    review_months: int
    review_by: str  # "person": a periodic review is a person's; "system": unchanged, re-confirmed


@dataclass(frozen=True, slots=True)
class Factor:
    code: str
    name: str
    group: str
    input: str
    weight: int
    kind: str  # category | flag | bands
    # category: value (or, with prefix, code prefix) -> score; flag: "true"/"false" -> score
    scores: dict[str, int]
    default: int  # a category value not listed
    missing: int  # no value
    prefix: bool = False  # category: the longest listed prefix of the code decides
    # bands: per customer type ("" for both) the (lower bound, score) steps, ascending
    bands: dict[str, tuple[tuple[float, int], ...]] | None = None
    reasoning: str = ""


@dataclass(frozen=True, slots=True)
class HardRule:
    code: str
    name: str
    input: str
    at_least: float  # the rule holds when the input is >= this (a flag: true)
    level: str  # the level it sets at least


@dataclass(frozen=True, slots=True)
class RatingModel:
    name: str
    version: str
    title: str
    window_days: int
    new_customer_working_days: int
    levels: tuple[Level, ...]  # highest first
    factors: tuple[Factor, ...]
    hard_rules: tuple[HardRule, ...]
    digest: str  # of the file as read: which model a rating was made with

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def level(self, code: str) -> Level:
        for level in self.levels:
            if level.code == code:
                return level
        raise KeyError(code)

    def level_index(self, code: str) -> int:
        return [level.code for level in self.levels].index(code)

    @property
    def total_weight(self) -> int:
        return sum(f.weight for f in self.factors)


def available_models() -> list[str]:
    return sorted(
        p.name.removesuffix(".toml") for p in MODELS.iterdir() if p.name.endswith(".toml")
    )


def load_model(name_or_path: str | Path = "pboc-2013") -> RatingModel:
    """A bundled model by name, or the bank's own file by path; checked whole."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        data, where = path.read_bytes(), str(path)
    else:
        bundled = MODELS / f"{name_or_path}.toml"
        if not bundled.is_file():
            raise RatingModelError(
                f"无此评级模型 {name_or_path} / no such rating model: one of "
                + ", ".join(available_models())
            )
        data, where = bundled.read_bytes(), str(name_or_path)
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RatingModelError(f"{where}: not a TOML file: {error}") from error
    return parse_model(raw, where, hashlib.sha256(data).hexdigest()[:16])


def parse_model(raw: dict[str, Any], where: str = "model", digest: str = "") -> RatingModel:
    """A model from its TOML tables (see the bundled models), or `RatingModelError`."""
    _only(raw, {"name", "version", "title", "window_days", "new_customer_working_days",
                "levels", "factors", "hard_rules"}, where)  # fmt: skip
    levels = tuple(
        _level(item, f"{where}: levels[{i}]") for i, item in enumerate(_list(raw, "levels", where))
    )
    _check_levels(levels, where)
    codes = {level.code for level in levels}
    factors = tuple(
        _factor(item, f"{where}: factors[{i}]")
        for i, item in enumerate(_list(raw, "factors", where))
    )
    seen: set[str] = set()
    for factor in factors:
        if factor.code in seen:
            raise RatingModelError(f"{where}: factor {factor.code} twice")
        seen.add(factor.code)
    missing = [g for g in REQUIRED_GROUPS if not any(f.group == g for f in factors)]
    if missing:
        raise RatingModelError(
            f"{where}: no factor of the group(s) {', '.join(missing)} "
            "(the guideline's four groups: customer, region, business, industry)"
        )
    rules = tuple(
        _rule(item, f"{where}: hard_rules[{i}]", codes)
        for i, item in enumerate(raw.get("hard_rules", []))
    )
    window = _int(raw, "window_days", where, 1, 366)
    new_days = _int(raw, "new_customer_working_days", where, 1, 10)
    return RatingModel(
        name=_text(raw, "name", where), version=str(raw.get("version", "")) or _missing(where, "version"),
        title=_text(raw, "title", where), window_days=window, new_customer_working_days=new_days,
        levels=levels, factors=factors, hard_rules=rules, digest=digest,
    )  # fmt: skip


def _check_levels(levels: tuple[Level, ...], where: str) -> None:
    if len(levels) < MIN_LEVELS:
        raise RatingModelError(f"{where}: at least {MIN_LEVELS} levels (高 / 中 / 低)")
    if len({level.code for level in levels}) != len(levels):
        raise RatingModelError(f"{where}: a level code twice")
    codes = [level.code for level in levels]
    if not all(code.isdigit() for code in codes):
        raise RatingModelError(f"{where}: level codes are digits (the inspection codes 10 … 14)")
    if codes != sorted(codes):
        raise RatingModelError(
            f"{where}: level codes sort from the highest level to the lowest (as the inspection "
            f"codes 10 高 … 14 低 do), not {', '.join(codes)}"
        )
    scores = [level.min_score for level in levels]
    if any(a <= b for a, b in pairwise(scores)) or scores[-1] != 0:
        raise RatingModelError(
            f"{where}: levels: min_score falls strictly from the highest level to 0 at the lowest"
        )
    if levels[0].review_months > MAX_TOP_MONTHS:
        raise RatingModelError(
            f"{where}: level {levels[0].code}: the highest level is reviewed at least every "
            f"{MAX_TOP_MONTHS} months (review_months {levels[0].review_months})"
        )
    for above, below in pairwise(levels):
        if not above.review_months <= below.review_months <= 2 * above.review_months:
            raise RatingModelError(
                f"{where}: level {below.code}: review_months {below.review_months} must lie "
                f"between the level above's ({above.review_months}) and twice it"
            )


def _level(item: Any, where: str) -> Level:
    item = _table(item, where)
    _only(item, {"code", "name", "min_score", "review_months", "review_by"}, where)
    review_by = item.get("review_by", "person")
    if review_by not in ("person", "system"):
        raise RatingModelError(f"{where}: review_by: person or system, not {review_by!r}")
    return Level(
        code=_text(item, "code", where), name=_text(item, "name", where),
        min_score=_int(item, "min_score", where, 0, 100),
        review_months=_int(item, "review_months", where, 1, 120), review_by=review_by,
    )  # fmt: skip


def _factor(item: Any, where: str) -> Factor:
    item = _table(item, where)
    _only(item, {"code", "name", "group", "input", "weight", "kind", "scores", "default",
                 "missing", "prefix", "bands", "reasoning"}, where)  # fmt: skip
    code = _text(item, "code", where)
    where = f"{where} ({code})"
    group, name_of_input, kind = item.get("group"), item.get("input"), item.get("kind")
    if group not in GROUPS:
        raise RatingModelError(f"{where}: group {group!r}: one of {', '.join(GROUPS)}")
    if name_of_input not in INPUTS:
        raise RatingModelError(
            f"{where}: unknown input {name_of_input!r}: one of {', '.join(INPUTS)}"
        )
    if kind not in KINDS:
        raise RatingModelError(f"{where}: kind {kind!r}: one of {', '.join(KINDS)}")
    provided = INPUTS[str(name_of_input)]
    if (kind == "bands") != (provided == "number") or (kind == "flag") != (provided == "flag"):
        raise RatingModelError(
            f"{where}: input {name_of_input} is a {provided}: it cannot be scored as {kind}"
        )
    scores = {
        str(k): _score(v, f"{where}: scores.{k}")
        for k, v in _table(item.get("scores", {}), where).items()
    }
    bands = None
    if kind == "bands":
        bands = _bands(item.get("bands"), where)
    elif kind == "flag" and set(scores) != {"true", "false"}:
        raise RatingModelError(f"{where}: a flag's scores are true and false")
    elif kind == "category" and not scores:
        raise RatingModelError(f"{where}: a category's scores list at least one value")
    return Factor(
        code=code, name=_text(item, "name", where), group=str(group), input=str(name_of_input),
        weight=_int(item, "weight", where, 1, 100), kind=str(kind), scores=scores,
        default=_score(item.get("default", 0), f"{where}: default"),
        missing=_score(item.get("missing", 0), f"{where}: missing"),
        prefix=bool(item.get("prefix", False)), bands=bands, reasoning=str(item.get("reasoning", "")),
    )  # fmt: skip


def _bands(raw: Any, where: str) -> dict[str, tuple[tuple[float, int], ...]]:
    """`bands = [[0, 0], [0.3, 60]]` for every customer, or per type `{ individual = …,
    entity = … }`: each step's lower bound ascending, from 0."""
    per_type = raw if isinstance(raw, dict) else {"": raw}
    if not per_type or not set(per_type) <= {"", "individual", "entity"}:
        raise RatingModelError(
            f"{where}: bands: a list of [lower bound, score], or one per customer type"
        )
    if "" not in per_type and set(per_type) != {"individual", "entity"}:
        raise RatingModelError(f"{where}: bands per customer type: both individual and entity")
    out: dict[str, tuple[tuple[float, int], ...]] = {}
    for key, steps in per_type.items():
        if not isinstance(steps, list) or not steps:
            raise RatingModelError(
                f"{where}: bands{'.' + key if key else ''}: a list of [lower bound, score]"
            )
        parsed: list[tuple[float, int]] = []
        for step in steps:
            if not (isinstance(step, list) and len(step) == 2 and isinstance(step[0], int | float)):
                raise RatingModelError(
                    f"{where}: bands: each step is [lower bound, score], not {step!r}"
                )
            parsed.append((float(step[0]), _score(step[1], f"{where}: bands")))
        bounds = [b for b, _ in parsed]
        if bounds[0] != 0 or any(a >= b for a, b in pairwise(bounds)):
            raise RatingModelError(f"{where}: bands: lower bounds rise strictly from 0")
        out[key] = tuple(parsed)
    return out


def _rule(item: Any, where: str, levels: set[str]) -> HardRule:
    item = _table(item, where)
    _only(item, {"code", "name", "input", "at_least", "level"}, where)
    name_of_input = item.get("input")
    if name_of_input not in INPUTS or INPUTS[str(name_of_input)] == "category":
        raise RatingModelError(f"{where}: input {name_of_input!r}: a flag or number input")
    level = str(item.get("level", ""))
    if level not in levels:
        raise RatingModelError(f"{where}: level {level!r} is not one of the model's levels")
    at_least = item.get("at_least", 1)
    if not isinstance(at_least, int | float) or at_least <= 0:
        raise RatingModelError(f"{where}: at_least: a positive number")
    return HardRule(_text(item, "code", where), _text(item, "name", where), str(name_of_input),
                    float(at_least), level)  # fmt: skip


def _only(item: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(item) - allowed)
    if extra:
        raise RatingModelError(f"{where}: unknown key(s) {', '.join(extra)}")


def _table(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RatingModelError(f"{where}: expected a table")
    return item


def _list(raw: dict[str, Any], key: str, where: str) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        raise RatingModelError(f"{where}: {key}: at least one [[{key}]] table")
    return value


def _text(item: dict[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        _missing(where, key)
    return str(value)


def _missing(where: str, key: str) -> str:
    raise RatingModelError(f"{where}: {key} is required")


def _int(item: dict[str, Any], key: str, where: str, low: int, high: int) -> int:
    value = item.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RatingModelError(
            f"{where}: {key}: a whole number from {low} to {high}, not {value!r}"
        )
    return value


def _score(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise RatingModelError(f"{where}: a score is a whole number from 0 to 100, not {value!r}")
    return value
