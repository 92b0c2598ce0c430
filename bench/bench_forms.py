"""Printed-form benchmark: the large-value form of N records as a whole PDF, as the PDF a
long report prints (totals and SHA-256, `reports.forms.MAX_PDF_ROWS`), and as the xlsx —
rows per second side by side, each in its own process with its peak memory.

    python bench/bench_forms.py --rows 100 300 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(rows: int, how: str) -> dict[str, float]:
    """One rendering of an N-record form, in this process."""
    sys.path.insert(0, str(ROOT))
    from amlwatch.reports import forms
    from amlwatch.submission.messages import large_value_new
    from amlwatch.submission.printed_forms import large_value_form
    from tests.submission.conftest import INSTITUTION, hit_row

    records = [hit_row(txn_id=f"T{i}", customer_id=f"C{i // 3:06d}") for i in range(rows)]
    form = large_value_form(
        large_value_new(INSTITUTION, records),
        institution="示例银行（C0000000000001）",
        outlet="C0000000000001",
        reference="bench",
        period="2026-11-20",
        report_date=dt.date(2026, 11, 20),
        due="2026-11-27",
    )
    import weasyprint  # noqa: F401  (its import is not the rendering)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        began = time.perf_counter()
        if how == "pdf, every row":
            forms.write_pdf(form, path / "f.pdf")
        elif how == "pdf, totals past the limit":
            forms.write_pdf(forms.printable(form, forms.MAX_PDF_ROWS), path / "f.pdf")
        else:
            forms.write_workbook(form, path / "f.xlsx")
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "peak_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # rows, how: a child run
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(int(args.one[0]), args.one[1])))
        return
    hows = ("pdf, every row", "pdf, totals past the limit", "xlsx, every row")
    print(
        f"{'records':>8}  {'formulation':<28}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}{'× pdf':>7}"
    )
    for rows in args.rows:
        results = {}
        for how in hows:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(rows), how],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            results[how] = json.loads(out.strip().splitlines()[-1])
        base = results[hows[0]]["seconds"]
        for how in hows:
            r = results[how]
            print(
                f"{rows:>8}  {how:<28}{r['seconds']:>9.2f}{rows / r['seconds']:>10,.0f}"
                f"{r['peak_mb']:>9.0f}{base / r['seconds']:>7.1f}"
            )


if __name__ == "__main__":
    main()
