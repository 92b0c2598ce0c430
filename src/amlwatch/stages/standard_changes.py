"""Proposing a version of a monitoring standard with its replay beside it: the windows of a
date range scanned under the pack in force and under the pack with the change (read only),
the hits and subjects each standard gains and loses kept with the proposal for the approver."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from amlwatch import wiring
from amlwatch.cases.standard_rows import StandardVersion
from amlwatch.rules.library import check_changes
from amlwatch.stages.replay import ReplayResult, replay


def replay_summary(result: ReplayResult) -> dict[str, Any]:
    """What the approver reads: per standard, hits and subjects before → after, gained, lost."""
    return {
        "from": str(result.scan_dates[0]) if result.scan_dates else None,
        "to": str(result.scan_dates[-1]) if result.scan_dates else None,
        "baseline": result.baseline,
        "candidate": result.candidate,
        "customers": result.customers,
        "by_standard": {
            code: {
                "hits": [c.baseline_hits, c.candidate_hits],
                "subjects": [len(c.baseline_subjects), len(c.candidate_subjects)],
                "added": len(c.added),
                "removed": len(c.removed),
            }
            for code, c in sorted(result.by_standard.items())
        },
    }


def propose_change(
    code: str,
    changes: dict[str, Any],
    reason: str,
    proposer: str,
    replay_from: dt.date,
    replay_to: dt.date,
    db: Path | None = None,
) -> StandardVersion:
    """Replay the change over `replay_from`..`replay_to` and record it as a proposal of the
    person `proposer` (an active liaison or approver of the review app)."""
    settings = wiring.settings()
    library = wiring.standards_library(db, settings)
    base = wiring.rule_pack_on(replay_to, None, library)
    candidate = check_changes(base, code, changes)
    ends = [replay_from + dt.timedelta(days=i) for i in range((replay_to - replay_from).days + 1)]
    with wiring.open_warehouse(db, settings, read_only=True) as warehouse:
        result = replay(warehouse, ends, wiring.calendar(settings), base, candidate, settings.scan)
    with wiring.open_review(db, settings) as review:
        actor = review.console_person(proposer)
        return review.propose_standard(actor, base, code, changes, reason, replay_summary(result))
