"""One night's stages in order, as a separate process the crash test can kill.

python -m tests.pipelines.night_runner DATE INBOX DB REPORTS
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from amlwatch import casework, jobs


def run_night(day: dt.date, inbox: Path, db: Path, reports: Path) -> None:
    """The nightly flow's stages without Prefect (the flow is a thin wrapper of these)."""
    load = jobs.ingest_day(day, inbox, db)
    jobs.scan_large_value_day(day, db)
    jobs.write_large_value_report(day, db, reports)
    jobs.scan_patterns_day(day, db)
    jobs.write_suspicious_report(day, db, reports)
    rescanned = []
    if load.replaced_load_id is not None:
        rescanned = jobs.rescan_following(day, db).scan_dates
    casework.open_cases_of_run(day, db, rescanned)
    jobs.write_large_value_submission(day, db, reports)


if __name__ == "__main__":
    day, inbox, db, reports = sys.argv[1:5]
    run_night(dt.date.fromisoformat(day), Path(inbox), Path(db), Path(reports))
