"""Customer money-laundering risk rating (客户洗钱风险等级). Pure: no I/O but the model files.

`model` reads a rating model (factors, weights, hard rules, levels and their review intervals)
and checks it against the guideline; `score` rates every customer at once from arrays;
`due` says when a rating or its review falls due.
"""

from amlwatch.rating.due import add_months, first_rating_due, next_review_due, on_or_before
from amlwatch.rating.exceptions import RatingError, RatingInputError, RatingModelError
from amlwatch.rating.model import (
    GROUPS,
    INPUTS,
    Factor,
    HardRule,
    Level,
    RatingModel,
    available_models,
    load_model,
    parse_model,
)
from amlwatch.rating.score import Category, Scores, category_score, score_customers

__all__ = [
    "GROUPS",
    "INPUTS",
    "Category",
    "Factor",
    "HardRule",
    "Level",
    "RatingError",
    "RatingInputError",
    "RatingModel",
    "RatingModelError",
    "Scores",
    "add_months",
    "available_models",
    "category_score",
    "first_rating_due",
    "load_model",
    "next_review_due",
    "on_or_before",
    "parse_model",
    "score_customers",
]
