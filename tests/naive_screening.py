"""The obviously-correct screening: every subject against every entry name, with the full
forms of both (no lookup walk, no cache, no pruning); the twin of `ListIndex.screen`."""

from __future__ import annotations

from collections.abc import Sequence

from amlwatch.screening import ListEntry, Subject, Thresholds
from amlwatch.screening.names import id_key, name_forms
from amlwatch.screening.score import (
    NAME_ONLY_CEILING,
    WEAK_ALIAS,
    clamp,
    name_only,
    name_score,
    qualifier_adjustment,
)


def naive_screen(
    entries: Sequence[ListEntry], subjects: Sequence[Subject], thresholds: Thresholds
) -> dict[tuple[int, int], int]:
    """(subject, entry) → score, for every pair at or above the review threshold."""
    found: dict[tuple[int, int], int] = {}
    for s, subject in enumerate(subjects):
        for e, entry in enumerate(entries):
            best = -1
            if entry.party_type == subject.party_type:
                for name in subject.names:
                    forms = name_forms(name, subject.party_type)
                    for listed in entry.names:
                        other = name_forms(listed.text, entry.party_type)
                        if not forms.keys & other.keys:
                            continue
                        score = name_score(forms, other).score
                        score += qualifier_adjustment(
                            subject.birth_date,
                            entry.birth_dates,
                            subject.nationality,
                            entry.nationalities,
                        )[0]
                        score += WEAK_ALIAS if listed.quality == "weak_alias" else 0
                        score = clamp(score)
                        if entry.party_type == "individual" and name_only(
                            other, entry.birth_dates, subject.birth_date, subject.id_numbers
                        ):
                            score = min(score, NAME_ONLY_CEILING)
                        best = max(best, score)
            ids = {id_key(n) for n in subject.id_numbers} & {
                id_key(n) for n in entry.id_numbers if len(id_key(n)) >= 5
            }
            accounts = {id_key(a) for a in subject.accounts} & {
                id_key(a) for a in entry.accounts if len(id_key(a)) >= 5
            }
            if ids or accounts:
                best = 100
            if best >= thresholds.review:
                found[(s, e)] = best
    return found
