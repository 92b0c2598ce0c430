"""The nightly large-value reports: the list of days and one day's rows, as the viewer may
see them (masked on the page, downloadable as CSV and, for whole-bank users, xlsx)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, Response

from amlwatch.cases.exceptions import NotFound
from amlwatch.web import present
from amlwatch.web.site import Site, parse_date


def register(site: Site) -> None:
    """Add these routes to the site's app."""
    app, review = site.app, site.review
    current, render = site.current, site.render

    @app.get("/large-value")
    def large_value_days(request: Request) -> Response:
        user, csrf = current(request)
        review.large_value_days(user)
        days = sorted(
            (p.parent.name for p in site.reports_dir.glob("*/large_value_report_*.csv")),
            reverse=True,
        )
        return render(request, "large_value_days.html", user, csrf, days=days)

    @app.get("/large-value/{day}")
    def large_value(request: Request, day: str, download: str = "") -> Response:
        user, csrf = current(request)
        date = parse_date(day)
        path = site.reports_dir / date.isoformat() / f"large_value_report_{date:%Y%m%d}.csv"
        if not path.exists():
            raise NotFound("该日无大额交易报告 / no large-value report for that day")
        header, tags, rows = _read_report(path)
        rows, restricted = review.open_large_value_report(user, date, tags, rows, download)
        if download == "csv":
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerows([header, tags, *rows])
            return Response(
                "\ufeff" + out.getvalue(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
            )
        if download == "xlsx":
            return FileResponse(path.with_suffix(".xlsx"), filename=path.with_suffix(".xlsx").name)
        masked = {tags.index(t) for t in ("CTID", "CTAC", "TCAC") if t in tags}
        shown = [
            [present.mask(v) if i in masked else _as_written(v) for i, v in enumerate(r)]
            for r in rows
        ]
        return render(
            request,
            "large_value.html",
            user,
            csrf,
            day=date,
            header=header,
            tags=tags,
            rows=shown,
            restricted=restricted,
        )


def _read_report(path: Path) -> tuple[list[str], list[str], list[list[str]]]:
    """The large-value CSV: Chinese header, XML tag line, rows."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    if len(lines) < 2:
        return [], [], []
    return lines[0], lines[1], lines[2:]


def _as_written(cell: str) -> str:
    """A CSV cell as the bank wrote it: without the apostrophe that keeps a formula-like value
    from running in a spreadsheet (reports.csv_tables.csv_cell); the page escapes it anyway."""
    return (
        cell[1:] if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r") else cell
    )
