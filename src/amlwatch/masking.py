"""How output quotes a value that may be an account or ID number: by its last four only.

One rule for every place a value is echoed back — quarantine reasons, the ingest summary,
CLI messages, logs: whatever looks like an identifier is masked, whatever column it came in
(an account number in a swapped `direction` column is still an account number).
"""

from __future__ import annotations

import re

# a value with this many digits or more may be an identifier (IDs have 15 or 18, accounts 10+)
VALUE_DIGITS = 8
# in free text (messages, log lines) a word needs more, so that dates (20261120) and load ids
# stay readable; hashes (64 hex characters) are longer than any identifier and are left
TEXT_DIGITS = 10
_WORD = re.compile(rf"[0-9A-Za-z]{{{TEXT_DIGITS},32}}")


def mask_value(value: str) -> str:
    """A value as output may quote it: one with eight digits or more by its last four."""
    return f"****{value[-4:]}" if sum(c.isdigit() for c in value) >= VALUE_DIGITS else value


def mask_text(text: str) -> str:
    """A message with every identifier-like word (10 digits or more, at most 32 characters)
    masked to its last four."""

    def one(match: re.Match[str]) -> str:
        word = match.group(0)
        if sum(c.isdigit() for c in word) < TEXT_DIGITS:
            return word
        return f"****{word[-4:]}"

    return _WORD.sub(one, text)


def masked_sql(expr: str) -> str:
    """SQL of `mask_value` over a text expression (the warehouse quotes values with it)."""
    return (
        f"(CASE WHEN length(regexp_replace({expr}, '[^0-9]', '', 'g')) >= {VALUE_DIGITS} "
        f"THEN '****' || right({expr}, 4) ELSE {expr} END)"
    )
