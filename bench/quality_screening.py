"""Matching quality of the list screening on a labelled, generated test set.

    python bench/quality_screening.py                       # 2,000 listed parties
    python bench/quality_screening.py --listed 10000 --seed 7

Generates a list (Chinese persons, foreign persons, entities: `synth.lists`) and, for every
listed party, the names it may go by at a bank — one screened party per variant kind — and
the parties a reviewer would call someone else (`synth.screening_quality`). Screens all of
them against the whole list with the settings' thresholds, then prints per kind how many
were found at the hit threshold and at the review threshold (recall for the variants; for
the hard non-matches, how many wrongly reached each band), and the precision at the hit
threshold over every pair that reached it.
"""

from __future__ import annotations

import argparse
import collections
import time

import numpy as np


def main() -> None:
    from amlwatch.screening import ListIndex, Thresholds
    from amlwatch.settings import get_settings
    from amlwatch.synth.lists import generated_entries
    from amlwatch.synth.screening_quality import HARD_KINDS, VARIANT_KINDS, quality_set

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listed", type=int, default=2000, help="listed parties")
    parser.add_argument("--seed", type=int, default=36)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    chinese = args.listed * 5 // 10
    foreign = args.listed * 3 // 10
    entries = generated_entries(rng, chinese, foreign, args.listed - chinese - foreign)
    cases = quality_set(rng, entries)
    settings = get_settings()
    thresholds = Thresholds(settings.screening_hit_score, settings.screening_review_score)
    began = time.monotonic()
    index = ListIndex(entries)
    matches = index.screen([c.subject for c in cases], thresholds)
    seconds = time.monotonic() - began

    refs = [e.ref for e in entries]
    by_case: dict[int, dict[str, int]] = collections.defaultdict(dict)
    for m in matches:
        by_case[m.subject][refs[m.entry]] = m.score
    stats: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    true_hits = all_hits = 0
    missed: list[str] = []
    for i, case in enumerate(cases):
        found = by_case.get(i, {})
        target = case.entry or case.listed
        score = found.get(target, 0)
        stats[case.kind]["cases"] += 1
        stats[case.kind]["hit"] += score >= thresholds.hit
        stats[case.kind]["review"] += thresholds.review <= score
        for ref, s in found.items():
            if s >= thresholds.hit:
                all_hits += 1
                true_hits += ref == case.entry
        if case.entry and score < thresholds.hit and len(missed) < 12:
            missed.append(f"  {case.kind}: {case.subject.names[0]!r} → {target} ({score})")

    print(f"list: {len(entries):,} parties, {index.names:,} names; screened {len(cases):,} "
          f"in {seconds:.2f} s; thresholds hit {thresholds.hit}, review {thresholds.review}")  # fmt: skip
    print(f"\n{'true matches':<22}{'cases':>7}{'recall@hit':>12}{'@review':>10}")
    for kind, label in VARIANT_KINDS.items():
        s = stats.get(kind)
        if s:
            print(
                f"{kind:<22}{s['cases']:>7}{s['hit'] / s['cases']:>12.3f}{s['review'] / s['cases']:>10.3f}  {label}"
            )
    print(f"\n{'hard non-matches':<22}{'cases':>7}{'as hit':>12}{'as review':>10}")
    for kind, label in HARD_KINDS.items():
        s = stats.get(kind)
        if s:
            print(
                f"{kind:<22}{s['cases']:>7}{s['hit'] / s['cases']:>12.3f}{s['review'] / s['cases']:>10.3f}  {label}"
            )
    precision = true_hits / all_hits if all_hits else 1.0
    print(
        f"\nprecision at the hit threshold: {precision:.4f} ({true_hits:,} of {all_hits:,} hits are the listed party)"
    )
    if missed:
        print("true matches below the hit threshold (first ones):")
        print("\n".join(missed))


if __name__ == "__main__":
    main()
