"""Records kept on a policy: everything older than the retention period (default and at least
10 years: the revised Anti-Money Laundering Law and the PBOC customer due diligence measures)
goes — transactions, customers, hits, alerts, cases, report files and the audit log — except
what an open case or an unfinished filing still needs, which is held and listed.

A dry run lists what would go. The real run purges the case store first (one transaction,
audited with its counts), then the warehouse (one transaction), then the report folders,
and audits those counts: a failure at any step leaves each store whole, and the next run
finishes the job (the warehouse keeps whatever a case that still exists names).
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from amlwatch import wiring
from amlwatch.cases import retention as case_retention
from amlwatch.cases.retention import CaseStorePlan
from amlwatch.settings import Settings
from amlwatch.warehouse import retention as wh_retention

_DATED = ("", "corrections")  # folders of dated subfolders (YYYY-MM-DD) under the reports


def cutoff_for(today: dt.date, years: int) -> dt.date:
    """The first day kept: the same day `years` earlier (28 February for a 29th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


@dataclass(slots=True)
class Retention:
    """What a retention run found (dry run) or did."""

    cutoff: dt.date
    years: int
    dry_run: bool
    case_store: CaseStorePlan
    warehouse: dict[str, tuple[int, int]] = field(default_factory=dict)  # table: (go, held)
    folders: list[Path] = field(default_factory=list)  # report folders that go
    held_folders: list[Path] = field(default_factory=list)  # they hold a recorded file

    @property
    def anything(self) -> bool:
        """Whether anything goes."""
        return bool(
            any(self.case_store.counts().values())
            or any(gone for gone, _ in self.warehouse.values())
            or self.folders
        )

    @property
    def held(self) -> dict[str, list[str]]:
        held = dict(self.case_store.held)
        if self.held_folders:
            held["folder holds a recorded file (目录内有在册文件)"] = [
                str(p) for p in self.held_folders
            ]
        return held


def run_retention(
    dry_run: bool = True,
    db: Path | None = None,
    reports_dir: Path | None = None,
    today: dt.date | None = None,
    by: str = "system",
) -> Retention:
    """List (dry run) or purge what is older than the retention period."""
    settings = wiring.settings()
    years = settings.retention_years
    cutoff = cutoff_for(today or wiring.today(), years)
    store = wiring.case_store(db, settings)
    try:
        plan = case_retention.plan(store, cutoff)
        if not dry_run:
            plan = case_retention.purge(store, cutoff, by)
            _remove(plan.file_paths)
        kept = wh_retention.Kept(plan.kept_alerts, plan.open_customers, plan.held_keys)
        found = Retention(cutoff, years, dry_run, plan)
        if wiring.warehouse_path(db, settings).exists():
            with wiring.open_warehouse(db, settings, read_only=dry_run) as warehouse:
                step = wh_retention.count if dry_run else wh_retention.purge
                found.warehouse = step(warehouse, cutoff, kept)
        recorded = case_retention.recorded_paths(store) - set(plan.file_paths)
        found.folders, found.held_folders = _old_folders(
            settings, reports_dir, cutoff, plan, recorded
        )
        if not dry_run:
            for folder in found.folders:
                shutil.rmtree(folder, ignore_errors=True)
            case_retention.record(
                store,
                by,
                "warehouse and report files",
                cutoff=cutoff,
                removed={table: gone for table, (gone, _) in found.warehouse.items()},
                held={table: n for table, (_, n) in found.warehouse.items() if n},
                folders=len(found.folders),
            )
        return found
    finally:
        store.close()


def _remove(paths: list[str]) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)


def _old_folders(
    settings: Settings,
    reports_dir: Path | None,
    cutoff: dt.date,
    plan: CaseStorePlan,
    recorded: set[str],
) -> tuple[list[Path], list[Path]]:
    """The report folders older than the cutoff, and those of them a recorded file keeps."""
    root = wiring.reports_folder(settings, reports_dir)
    candidates: list[Path] = []
    for parent in (root / name for name in _DATED):
        for folder in sorted(parent.glob("????-??-??")) if parent.is_dir() else []:
            day = _date(folder.name)
            if folder.is_dir() and day is not None and day < cutoff:
                candidates.append(folder)
    candidates += [root / "cases" / f"case-{i}" for i in plan.case_ids]
    for name in ("notices", "drafts", "work-reports", "standards-evaluations"):
        for folder in sorted((root / name).glob("*")) if (root / name).is_dir() else []:
            if dt.date.fromtimestamp(folder.stat().st_mtime) < cutoff:
                candidates.append(folder)
    goes, held = [], []
    for folder in candidates:
        if not folder.exists():
            continue
        inside = str(folder.resolve()) + "/"
        if any(str(Path(p).resolve()).startswith(inside) for p in recorded):
            held.append(folder)
        else:
            goes.append(folder)
    return goes, held


def _date(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(name)
    except ValueError:
        return None
