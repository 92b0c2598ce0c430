"""Where a steady rating night's time goes, call by call, on bench_rating.py's bank (run the
bench first): `python bench/profile_rating.py [--customers 1000000]`."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
DAY = dt.date(2026, 11, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    db = ROOT / "bench" / "out" / "rating" / f"wh-{parser.parse_args().customers}.duckdb"
    os.environ["AMLWATCH_DB"] = str(db)
    from amlwatch import wiring
    from amlwatch.rating import load_model, score_customers
    from amlwatch.stages import rating as stage
    from amlwatch.warehouse import rating as wh

    model = load_model()
    seconds: dict[str, float] = {}

    def timed(name: str, call: Callable[..., Any], *args: Any) -> Any:
        began = time.monotonic()
        result = call(*args)
        seconds[name] = time.monotonic() - began
        return result

    with wiring.open_warehouse(db) as warehouse:
        timed("the day's sums", wh.replace_day_features, warehouse, DAY, ["IRN"])
        table = timed("the window's inputs", wh.customer_inputs, warehouse, DAY, model.window_days)
        timed("identity changes", wh.identity_changed, warehouse, DAY)
    with wiring.open_review(db) as review:
        facts = timed("case store facts", review.rating_facts, DAY - dt.timedelta(days=364))
        in_force, open_reviews = timed("levels in force", review.rating_state)
        inputs = timed("inputs to arrays", stage.rating_inputs, table, facts)
        scores = timed("scoring", score_customers, model, inputs)
        timed("scores table", stage.scores_table, model, table, scores)
        timed("the night's work chosen", stage.night_work, model, DAY, table, scores, in_force,
              open_reviews, set(), facts, review.add_working_days)  # fmt: skip
    for name, value in seconds.items():
        print(f"{name:<28}{value:>8.2f} s")


if __name__ == "__main__":
    main()
