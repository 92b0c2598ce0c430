"""Every customer scored at once (no loop per customer): each factor's score from its input,
the weighted total, the level the total reaches, and the hard rules that set a level at least.

Inputs are numpy arrays of one length, one per input the model reads (`model.INPUTS`):
a category as `Category` (codes into its distinct values, -1 for none), a flag as int8
(1 true, 0 false, -1 unknown) or bool, a number as float64 (NaN for none). The level test is
exact: a customer is at a level when sum(weight × score) >= min_score × sum(weight), in
integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from amlwatch.rating.exceptions import RatingInputError
from amlwatch.rating.model import INPUTS, Factor, RatingModel


@dataclass(frozen=True, slots=True)
class Category:
    """Values of a category input: `codes` (int32, -1 for none) into `values`."""

    codes: np.ndarray
    values: tuple[str, ...]

    @classmethod
    def of(cls, items: list[str | None]) -> Category:
        """From plain values (tests, small inputs)."""
        distinct = tuple(sorted({v for v in items if v is not None and v != ""}))
        at = {v: i for i, v in enumerate(distinct)}
        return cls(np.array([at.get(v, -1) if v else -1 for v in items], np.int32), distinct)

    def __len__(self) -> int:
        return len(self.codes)


Input = Category | np.ndarray


@dataclass(frozen=True, slots=True)
class Scores:
    """The model's view of each customer (row i of every array is customer i).

    Attributes:
        factors: uint8 [n, factors], each factor's score 0..100 in the model's order.
        weighted: int64, sum(weight × score).
        score_level: int8, index into `model.levels` the total alone reaches (0 highest).
        level: int8, the level with the hard rules applied.
        rules: int64 bits, bit k set when hard rule k holds.
    """

    factors: np.ndarray
    weighted: np.ndarray
    score_level: np.ndarray
    level: np.ndarray
    rules: np.ndarray
    total_weight: int

    @property
    def score(self) -> np.ndarray:
        """The total on 0..100, one decimal (for people; the level test is exact)."""
        return np.round(self.weighted / self.total_weight, 1)

    def __len__(self) -> int:
        return len(self.weighted)


def score_customers(model: RatingModel, inputs: Mapping[str, Input]) -> Scores:
    """Every customer's factor scores, total, level and hard rules."""
    n = _length(model, inputs)
    entity = (
        _entity(inputs, n) if any(f.bands and "" not in f.bands for f in model.factors) else None
    )
    factors = np.empty((n, len(model.factors)), np.uint8)
    for k, factor in enumerate(model.factors):
        factors[:, k] = _factor_scores(factor, inputs[factor.input], entity)
    weights = np.array([f.weight for f in model.factors], np.int64)
    weighted = factors.astype(np.int64) @ weights if n else np.zeros(0, np.int64)
    total = int(weights.sum())
    score_level = np.full(n, len(model.levels) - 1, np.int8)
    for i in range(len(model.levels) - 1, -1, -1):  # the higher levels overwrite
        score_level[weighted >= model.levels[i].min_score * total] = i
    level = score_level.copy()
    rules = np.zeros(n, np.int64)
    for k, rule in enumerate(model.hard_rules):
        holds = _holds(inputs[rule.input], rule.at_least)
        rules[holds] |= np.int64(1) << k
        at = model.level_index(rule.level)
        np.minimum(level, np.where(holds, at, len(model.levels)).astype(np.int8), out=level)
    return Scores(factors, weighted, score_level, level, rules, total)


def category_table(factor: Factor, values: tuple[str, ...]) -> np.ndarray:
    """Each distinct value's score: listed exactly, or (with `prefix`) by its longest listed
    prefix, else the factor's default."""
    table = np.empty(len(values), np.uint8)
    for i, value in enumerate(values):
        table[i] = category_score(factor, value)
    return table


def category_score(factor: Factor, value: str) -> int:
    if value in factor.scores:
        return factor.scores[value]
    if factor.prefix:
        for cut in range(len(value) - 1, 0, -1):
            if value[:cut] in factor.scores:
                return factor.scores[value[:cut]]
    return factor.default


def _factor_scores(factor: Factor, values: Input, entity: np.ndarray | None) -> np.ndarray:
    if factor.kind == "category":
        if not isinstance(values, Category):
            raise RatingInputError(f"{factor.input}: expected a Category")
        table = np.append(category_table(factor, values.values), np.uint8(factor.missing))
        return table[np.where(values.codes < 0, len(values.values), values.codes)]
    array = np.asarray(values)
    if factor.kind == "flag":
        flag = array.astype(np.int8)
        out = np.full(len(flag), factor.missing, np.uint8)
        out[flag == 1] = factor.scores["true"]
        out[flag == 0] = factor.scores["false"]
        return out
    number = array.astype(np.float64)
    assert factor.bands is not None
    if "" in factor.bands:
        out = _banded(number, factor.bands[""], factor.missing)
    else:
        assert entity is not None
        out = np.where(entity, _banded(number, factor.bands["entity"], factor.missing),
                       _banded(number, factor.bands["individual"], factor.missing))  # fmt: skip
    return out.astype(np.uint8)


def _banded(number: np.ndarray, steps: tuple[tuple[float, int], ...], missing: int) -> np.ndarray:
    bounds = np.array([b for b, _ in steps], np.float64)
    scores = np.array([s for _, s in steps] + [missing], np.uint8)
    at = np.searchsorted(bounds, number, side="right") - 1  # a negative value: the first step
    at = np.where(np.isnan(number), len(steps), np.maximum(at, 0))
    return scores[at]


def _holds(values: Input, at_least: float) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == np.bool_ or array.dtype == np.int8:
        return array.astype(np.int8) == 1
    number = array.astype(np.float64)
    return np.nan_to_num(number, nan=-np.inf) >= at_least


def _entity(inputs: Mapping[str, Input], n: int) -> np.ndarray:
    kinds = inputs.get("customer_type")
    if not isinstance(kinds, Category):
        raise RatingInputError("customer_type: the bands per customer type need it as a Category")
    if "entity" not in kinds.values:
        return np.zeros(n, np.bool_)
    return kinds.codes == kinds.values.index("entity")


def _length(model: RatingModel, inputs: Mapping[str, Input]) -> int:
    needed = {f.input for f in model.factors} | {r.input for r in model.hard_rules}
    lacking = sorted(needed - set(inputs))
    if lacking:
        raise RatingInputError(f"inputs missing: {', '.join(lacking)}")
    lengths = {name: len(inputs[name]) for name in needed}
    if len(set(lengths.values())) > 1:
        raise RatingInputError(f"inputs of different lengths: {lengths}")
    for name in needed:
        value = inputs[name]
        if (INPUTS[name] == "category") != isinstance(value, Category):
            raise RatingInputError(f"{name}: a {INPUTS[name]} input")
    return next(iter(lengths.values()), 0)
