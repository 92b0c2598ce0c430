"""One night's stages in order, as a separate process the crash test can kill.

python -m tests.pipelines.night_runner DATE INBOX DB REPORTS
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from amlwatch.stages.calendar import check_calendar
from amlwatch.stages.cases import open_cases_of_run
from amlwatch.stages.filings import write_large_value_submission
from amlwatch.stages.ingest import ingest_day
from amlwatch.stages.large_value import scan_large_value_day, write_large_value_report
from amlwatch.stages.network import scan_network_day
from amlwatch.stages.patterns import scan_patterns_day, write_suspicious_report
from amlwatch.stages.rating import rate_night
from amlwatch.stages.rescan import rescan_following
from amlwatch.stages.screening import screen_night


def run_night(day: dt.date, inbox: Path, db: Path, reports: Path) -> None:
    """The nightly flow's stages without Prefect (the flow is a thin wrapper of these)."""
    load = ingest_day(day, inbox, db)
    screen_night(day, db)
    check_calendar(day, db, reports)
    scan_large_value_day(day, db)
    write_large_value_report(day, db, reports)
    scan_patterns_day(day, db)
    scan_network_day(day, db)
    write_suspicious_report(day, db, reports)
    rescanned = []
    if load.replaced_load_id is not None:
        rescanned = rescan_following(day, db).scan_dates
    open_cases_of_run(day, db, rescanned)
    rate_night(day, db)
    write_large_value_submission(day, db, reports)


if __name__ == "__main__":
    day, inbox, db, reports = sys.argv[1:5]
    run_night(dt.date.fromisoformat(day), Path(inbox), Path(db), Path(reports))
