"""What the rating package refuses."""

from __future__ import annotations


class RatingError(Exception):
    """Base of the rating package's errors."""


class RatingModelError(RatingError):
    """A rating model that cannot be used as written (the message says where and why)."""


class RatingInputError(RatingError):
    """Inputs that do not fit the model: a missing input, wrong lengths or kinds."""
