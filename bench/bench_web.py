"""Load test of the review app (loopback only): N concurrent reviewers for T seconds on a
case store with C cases; latency percentiles of the list and case pages, errors, throughput.

    python bench/bench_web.py                      # 20 reviewers, 60 s, 10,000 cases, SQLite
    python bench/bench_web.py --think 0 --workers 2   # back-to-back clicks, two app processes
    python bench/bench_web.py --case-db postgresql+psycopg://user:pw@127.0.0.1/postgres

The app runs in its own process (uvicorn, one worker) as `amlwatch web` runs it; the
reviewers are threads of this process, each logged in as its own user (liaisons of one or
two branches and approvers), each opening the flagged list with a filter and then one of the
cases on it, as a reviewer's morning goes. Every case view writes its audit entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from amlwatch.cases import CaseStore, open_cases  # noqa: E402
from amlwatch.models import Role  # noqa: E402
from amlwatch.wiring import review_for  # noqa: E402
from tests.cases.factory import alert_evidence  # noqa: E402

PASSWORD = "Bench-Pass-2026!"
BRANCHES = [f"B{i:03d}" for i in range(1, 11)]
RULES = ["0101", "0102"]


def build(url: str, cases: int, reviewers: int) -> None:
    """A store with `cases` cases over 10 branches and two rules, and the reviewers."""
    store = CaseStore(url)
    review = review_for(store)
    review.access_four_eyes = False  # the load test's reviewers are active at once
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    rng = random.Random(7)
    night = dt.date(2026, 9, 1)
    batch = []
    for i in range(cases):
        batch.append(
            alert_evidence(
                f"AMLW-SP-{rng.choice(RULES)}-{i:08d}-{uuid.UUID(int=rng.getrandbits(128)).hex[:8]}",
                customer=f"C{rng.randrange(10**6):07d}",
                branch=rng.choice(BRANCHES),
                rule=rng.choice(RULES),
                scan_date=night + dt.timedelta(days=i % 60),
                legs=rng.randint(3, 30),
            )
        )
        if len(batch) == 500:
            open_cases(store, batch, night)
            batch = []
    if batch:
        open_cases(store, batch, night)
    for n in range(reviewers):
        if n % 4 == 3:
            review.create_user(admin, f"approver{n}", f"审批{n}", Role.APPROVER, PASSWORD)
        else:
            branches = [BRANCHES[n % 10], BRANCHES[(n + 3) % 10]][: 1 + n % 2]
            review.create_user(admin, f"liaison{n}", f"联络{n}", Role.LIAISON, PASSWORD, branches)
    store.close()


def serve(url: str, reports: str, port: int, workers: int) -> None:
    """The app as `amlwatch web` runs it (its factory, `workers` processes)."""
    import uvicorn

    os.environ.update(
        AMLWATCH_CASE_DB=url, AMLWATCH_REPORTS_DIR=reports, AMLWATCH_WEB_SECURE_COOKIES="false"
    )
    uvicorn.run(
        "amlwatch.cli.review:web_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
    )


def reviewer(
    base: str, username: str, until: float, seed: int, think: float, out: dict[str, list]
) -> None:
    rng = random.Random(seed)

    def pause() -> None:  # a person reads before the next click: uniform, mean `think`
        if think > 0:
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        answer = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf": token, "next": "/cases"},
        )
        if answer.status_code != 303:
            out["errors"].append(f"login {username}: {answer.status_code}")
            return
        while time.monotonic() < until:
            query = rng.choice(["", "?rule=0101", "?rule=0102", "?state=new", "?page=2"])
            began = time.perf_counter()
            listing = client.get(f"/cases{query}")
            out["list"].append(time.perf_counter() - began)
            if listing.status_code != 200:
                out["errors"].append(f"list {listing.status_code}")
                continue
            ids = re.findall(r'href="/cases/(\d+)"', listing.text)
            if not ids:
                continue
            pause()
            began = time.perf_counter()
            case = client.get(f"/cases/{rng.choice(ids)}")
            out["case"].append(time.perf_counter() - began)
            if case.status_code != 200:
                out["errors"].append(f"case {case.status_code}")
            pause()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (the app's workers), in MB."""
    total = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            total += int(line.split()[1]) / 1024
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        total += rss_mb(int(child))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean seconds a reviewer reads a page before the next click (0: back to back)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the SQLite store of a run before"
    )
    parser.add_argument("--workers", type=int, default=1, help="app processes (uvicorn)")
    parser.add_argument("--case-db", help="PostgreSQL URL (a fresh database is made in it)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "web")
    parser.add_argument(
        "--serve", nargs=4, metavar=("URL", "REPORTS", "PORT", "WORKERS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], args.serve[1], int(args.serve[2]), int(args.serve[3]))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    dropper = None
    if args.case_db:
        name = f"amlwatch_bench_{uuid.uuid4().hex[:8]}"
        dropper = create_engine(args.case_db, isolation_level="AUTOCOMMIT")
        with dropper.connect() as con:
            con.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.case_db).set(database=name).render_as_string(hide_password=False)
        kind = "postgresql"
    else:
        path = args.out / f"cases-{args.cases}-{args.reviewers}.sqlite"
        url, kind = f"sqlite:///{path}", "sqlite"
        if not args.reuse:
            for leftover in args.out.glob(f"{path.name}*"):
                leftover.unlink()
    if not (args.reuse and kind == "sqlite" and path.exists()):
        began = time.monotonic()
        build(url, args.cases, args.reviewers)
        print(
            f"store ({kind}): {args.cases:,} cases, {args.reviewers} reviewers, built in "
            f"{time.monotonic() - began:.1f} s"
        )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            url,
            str(args.out / "reports"),
            str(port),
            str(args.workers),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        names = [f"approver{n}" if n % 4 == 3 else f"liaison{n}" for n in range(args.reviewers)]
        out: dict[str, list] = {"list": [], "case": [], "errors": []}
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=reviewer, args=(base, name, until, i, args.think, out))
            for i, name in enumerate(names)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        server_mb = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(10)
        if dropper is not None:
            with dropper.connect() as con:
                con.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    requests = len(out["list"]) + len(out["case"])
    print(
        f"{args.reviewers} reviewers (think {args.think:g} s, {args.workers} app process(es)) "
        f"for {elapsed:.0f} s: {requests:,} requests "
        f"({requests / elapsed:.1f}/s), {len(out['errors'])} errors, server peak RSS "
        f"{server_mb:,.0f} MB"
    )
    print(f"{'page':<6}{'n':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for page in ("list", "case"):
        values = out[page] or [float("nan")]
        print(
            f"{page:<6}{len(values):>8,}{statistics.median(values) * 1000:>10.0f}"
            f"{percentile(values, 0.95) * 1000:>10.0f}{percentile(values, 0.99) * 1000:>10.0f}"
            f"{max(values) * 1000:>10.0f}"
        )
    for error in out["errors"][:10]:
        print("error:", error)


if __name__ == "__main__":
    main()
