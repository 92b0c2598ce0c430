"""The naive twin of `amlwatch.rating.score`: one customer at a time, straight from the
model's words, in plain Python (no arrays)."""

from __future__ import annotations

import math
from typing import Any

from amlwatch.rating import RatingModel


def factor_score(factor: Any, value: Any, customer_type: str | None) -> int:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return factor.missing
    if factor.kind == "flag":
        return factor.scores["true" if value else "false"]
    if factor.kind == "category":
        if value in factor.scores:
            return factor.scores[value]
        if factor.prefix:
            best = None
            for key in factor.scores:
                if (
                    value.startswith(key)
                    and key != value
                    and (best is None or len(key) > len(best))
                ):
                    best = key
            if best is not None:
                return factor.scores[best]
        return factor.default
    steps = (
        factor.bands.get("")
        or factor.bands["entity" if customer_type == "entity" else "individual"]
    )
    score = steps[0][1]
    for bound, step_score in steps:
        if value >= bound:
            score = step_score
    return score


def rate_one(model: RatingModel, customer: dict[str, Any]) -> tuple[list[int], int, int, list[str]]:
    """(factor scores, level index from the score, level index with the hard rules, rules)."""
    scores = [
        factor_score(f, customer.get(f.input), customer.get("customer_type")) for f in model.factors
    ]
    total = sum(f.weight for f in model.factors)
    weighted = sum(f.weight * s for f, s in zip(model.factors, scores, strict=True))
    score_level = len(model.levels) - 1
    for i, level in enumerate(model.levels):
        if weighted >= level.min_score * total:
            score_level = i
            break
    level = score_level
    fired = []
    for rule in model.hard_rules:
        value = customer.get(rule.input)
        if (
            value is not None
            and not (isinstance(value, float) and math.isnan(value))
            and float(value) >= rule.at_least
        ):
            fired.append(rule.code)
            level = min(level, model.level_index(rule.level))
    return scores, score_level, level, fired
