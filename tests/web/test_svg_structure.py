"""The structure graph puts each transfer's label by its own arrow: a fan's transfers that
share a box keep their labels apart (two at one place would show one amount by the wrong
arrow)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from amlwatch.web.svg import structure_graph


def test_every_transfer_of_a_fan_has_its_own_label_place() -> None:
    sources, hub, sinks = ["A1", "A2", "A3"], "H", ["C1", "C2", "C3"]
    members = [{"customer_id": c, "role": "source"} for c in sources]
    members += [{"customer_id": hub, "role": "intermediary"}]
    members += [{"customer_id": c, "role": "sink"} for c in sinks]
    at = dt.datetime(2026, 10, 1, 10, 0)
    pairs = [(a, hub) for a in sources] + [(hub, c) for c in sinks]
    edges = [
        {"payer_customer": p, "payee_customer": q, "amount_cny": Decimal(70_000 + k),
         "booked_at": at + dt.timedelta(hours=k)}
        for k, (p, q) in enumerate(pairs)
    ]  # fmt: skip
    svg = structure_graph(members, edges)
    places = re.findall(
        r'<text x="(\d+)" y="(-?\d+)" font-size="11" text-anchor="middle" fill="#333"', svg
    )
    assert len(places) == len(edges) == len(set(places))
    for k in range(len(edges)):  # every amount is drawn
        assert f"¥70,00{k}.00" in svg
