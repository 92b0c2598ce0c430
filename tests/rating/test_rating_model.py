"""The rating model as data: the bundled models load, and every rule the loader checks has a
counterexample it refuses."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources

import pytest

from amlwatch.rating import GROUPS, RatingModelError, available_models, load_model, parse_model


def _raw() -> dict:
    return tomllib.loads(
        (resources.files("amlwatch.rating") / "models" / "pboc-2013.toml").read_text("utf-8")
    )


def test_bundled_models_load_with_the_guideline_groups_and_levels():
    assert {"pboc-2013", "pboc-2013-five"} <= set(available_models())
    three, five = load_model("pboc-2013"), load_model("pboc-2013-five")
    assert [lv.code for lv in three.levels] == ["10", "12", "14"]
    assert [lv.name for lv in five.levels] == ["高", "中高", "中", "中低", "低"]
    assert {f.group for f in three.factors} >= {"customer", "region", "business", "industry"}
    assert all(f.reasoning for f in three.factors), "every factor says why"
    assert three.levels[0].review_months <= 6


def test_a_bank_model_file_by_path(tmp_path):
    path = tmp_path / "bank.toml"
    path.write_text((resources.files("amlwatch.rating") / "models" / "pboc-2013.toml").read_text("utf-8")
                    .replace('version = "2026.1"', 'version = "bank-7"'), encoding="utf-8")  # fmt: skip
    assert load_model(path).label == "pboc-2013@bank-7"
    with pytest.raises(RatingModelError, match="no such rating model"):
        load_model("nonesuch")


def _refused(change, match: str) -> None:
    raw = copy.deepcopy(_raw())
    change(raw)
    with pytest.raises(RatingModelError, match=match):
        parse_model(raw)


def test_counterexamples_each_refused():
    _refused(lambda r: r["levels"].pop(1), "at least 3 levels")
    _refused(lambda r: r["levels"][0].update(review_months=12), "at least every 6 months")
    _refused(lambda r: r["levels"][2].update(review_months=36), "twice")
    _refused(lambda r: r["levels"][1].update(review_months=3), "between")
    _refused(lambda r: r["levels"][2].update(min_score=5), "falls strictly")
    _refused(lambda r: r["levels"][1].update(min_score=50), "falls strictly")
    _refused(lambda r: r["levels"][1].update(code="10"), "level code twice")
    _refused(lambda r: r["levels"][0].update(code="15"), "sort from the highest")
    _refused(lambda r: r["levels"][0].update(code="H"), "digits")
    _refused(lambda r: r["levels"][0].update(review_by="nobody"), "review_by")
    _refused(
        lambda r: r.update(factors=[f for f in r["factors"] if f["group"] != "industry"]),
        "industry",
    )
    _refused(lambda r: r["factors"][0].update(input="shoe_size"), "unknown input")
    _refused(lambda r: r["factors"][0].update(group="weather"), "group")
    _refused(lambda r: r["factors"][0].update(weight=0), "weight")
    _refused(lambda r: r["factors"][0].update(kind="bands", bands=[[0, 1]]), "cannot be scored")
    _refused(lambda r: r["factors"][0]["scores"].update(entity=101), "0 to 100")
    _refused(lambda r: r["factors"][2].update(scores={"yes": 100}), "true and false")
    _refused(
        lambda r: r["factors"][3].update(bands=[[0, 0], [0.3, 50], [0.1, 100]]), "rise strictly"
    )
    _refused(lambda r: r["factors"][3].update(bands=[[0.1, 0]]), "rise strictly")
    _refused(
        lambda r: r["factors"][3].update(bands={"individual": [[0, 0]]}),
        "both individual and entity",
    )
    _refused(lambda r: r["factors"][0].update(colour="red"), "unknown key")
    _refused(lambda r: r["factors"].append(dict(r["factors"][0])), "twice")
    _refused(lambda r: r["hard_rules"][0].update(level="99"), "not one of the model's levels")
    _refused(lambda r: r["hard_rules"][0].update(input="nationality"), "flag or number")
    _refused(lambda r: r.update(window_days=0), "window_days")
    _refused(lambda r: r.update(new_customer_working_days=15), "new_customer_working_days")
    _refused(lambda r: r.update(extra=1), "unknown key")


def test_broken_toml_is_refused_with_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("levels = [", encoding="utf-8")
    with pytest.raises(RatingModelError, match=r"bad\.toml: not a TOML file"):
        load_model(path)


def test_groups_have_chinese_names():
    assert all(name and not name.isascii() for name in GROUPS.values())
