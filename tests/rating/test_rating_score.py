"""The vectorised scorer against its naive twin, on edge cases and generated customers."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from amlwatch.rating import INPUTS, Category, load_model, score_customers
from tests.naive_rating import rate_one

MODELS = [load_model("pboc-2013"), load_model("pboc-2013-five")]
CATEGORY_VALUES = {
    "customer_type": ["individual", "entity", "other"],
    "id_type": ["110001", "110023", "110027", "610099", "999999"],
    "nationality": ["CHN", "USA", "IRN", "PRK", "FRA"],
    "occupation": [
        "10000",
        "20000",
        "80000",
        "K70",
        "K701",
        "F51",
        "J66",
        "R90",
        "S92",
        "Z99",
        "9",
    ],
}
EDGES = [0.0, 0.0001, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 3, 4, 10, 90, 365, 500000, 10000000, 2e8]


def _value(name: str):
    kind = INPUTS[name]
    if kind == "category":
        return st.one_of(st.none(), st.sampled_from(CATEGORY_VALUES[name]))
    if kind == "flag":
        return st.one_of(st.none(), st.booleans())
    return st.one_of(st.none(), st.sampled_from(EDGES), st.floats(0, 3e8, allow_nan=False))


customers = st.lists(
    st.fixed_dictionaries({name: _value(name) for name in INPUTS}), min_size=0, max_size=40
)


def _inputs(rows: list[dict]) -> dict:
    inputs: dict = {}
    for name, kind in INPUTS.items():
        values = [r[name] for r in rows]
        if kind == "category":
            inputs[name] = Category.of(values)
        elif kind == "flag":
            inputs[name] = np.array([-1 if v is None else int(v) for v in values], np.int8)
        else:
            inputs[name] = np.array([math.nan if v is None else v for v in values], np.float64)
    return inputs


def _check(rows: list[dict]) -> None:
    for model in MODELS:
        got = score_customers(model, _inputs(rows))
        for i, row in enumerate(rows):
            factors, score_level, level, fired = rate_one(model, row)
            assert got.factors[i].tolist() == factors, (model.label, row)
            assert got.score_level[i] == score_level
            assert got.level[i] == level
            assert [
                r.code for k, r in enumerate(model.hard_rules) if got.rules[i] >> k & 1
            ] == fired


@settings(max_examples=150, deadline=None)
@given(customers)
def test_vectorised_scores_equal_the_naive_scorer(rows):
    _check(rows)


def test_edges_each_band_bound_and_missing_values():
    rows = []
    for edge in EDGES:
        row = {name: (edge if kind == "number" else None) for name, kind in INPUTS.items()}
        rows.append(row)
    rows.append({name: None for name in INPUTS})
    rows.append(
        {**{name: None for name in INPUTS}, "customer_type": "entity", "total_cny": 10_000_000.0}
    )
    _check(rows)


def test_hard_rules_set_the_level_at_least_and_never_lower_it():
    model = MODELS[0]
    base = {name: None for name in INPUTS}
    listed = {**base, "list_hit": True}
    reported = {**base, "reports": 2.0}
    pep = {**base, "is_pep": True}
    got = score_customers(model, _inputs([base, listed, reported, pep]))
    assert [model.levels[i].code for i in got.level] == ["14", "10", "10", "12"]
    assert got.score_level[1] == got.score_level[0], "the score itself is not changed by a rule"


def test_longest_prefix_decides_an_occupation():
    model = MODELS[0]
    occupation = next(f for f in model.factors if f.input == "occupation")
    got = score_customers(model, _inputs([{**{n: None for n in INPUTS}, "occupation": c}
                                          for c in ("K70", "K701", "K11", "R90", "9")]))  # fmt: skip
    k = model.factors.index(occupation)
    assert got.factors[:, k].tolist() == [70, 70, occupation.default, 80, occupation.default]


def test_no_customers_no_scores():
    got = score_customers(MODELS[0], _inputs([]))
    assert len(got) == 0
