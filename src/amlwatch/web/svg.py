"""Pictures drawn on the server as SVG: the money flow of a case and the dashboard's charts.
Text goes through `escape`; nothing from the data reaches the markup unescaped."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from amlwatch.labels import STRUCTURE_ROLES
from amlwatch.web.present import mask, money

_SIDE = 8  # counterparties drawn per side; the rest are one "others" box
_PALETTE = ("#2f6fb0", "#c0392b", "#16a085", "#8e44ad", "#d68910", "#566573")


Party = tuple[str, Decimal, int, str]  # label, total CNY, count, the days (for the hover)


def _days(days: set[dt.date]) -> str:
    if not days:
        return ""
    first, last = min(days), max(days)
    return f"{first}" if first == last else f"{first} ～ {last}（{len(days)} 天）"


def _day_of(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _parties(evidence: Sequence[Mapping[str, Any]], direction: str) -> tuple[list[Party], int]:
    """(label, total CNY, count, days) per counterparty of one direction, largest first,
    the smallest folded into one "others" box; and how many counterparties there are."""
    totals: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0, set()])
    for t in evidence:
        if t.get("direction_code") != direction:
            continue
        name = str(t.get("counterparty_name") or "未知")
        account = t.get("counterparty_account")
        label = f"{name} {mask(account)}" if account else name
        entry = totals[label]
        entry[0] += Decimal(str(t.get("amount_cny") or 0))
        entry[1] += 1
        booked = _day_of(t.get("booked_at"))
        if booked is not None:
            entry[2].add(booked)
    ranked = sorted(((k, v[0], v[1], v[2]) for k, v in totals.items()), key=lambda x: (-x[1], x[0]))
    parties = len(ranked)
    if len(ranked) > _SIDE:
        rest = ranked[_SIDE - 1 :]
        ranked = [
            *ranked[: _SIDE - 1],
            (
                f"其他 {len(rest)} 个交易对手",
                sum((r[1] for r in rest), Decimal(0)),
                sum(r[2] for r in rest),
                set().union(*(r[3] for r in rest)),
            ),
        ]
    return [(label, total, n, _days(days)) for label, total, n, days in ranked], parties


def money_flow(subject: str, evidence: Sequence[Mapping[str, Any]]) -> str:
    """Counterparties paying in (left) → the subject (middle) → counterparties paid (right);
    line widths follow the amounts."""
    (ins, in_parties), (outs, out_parties) = _parties(evidence, "01"), _parties(evidence, "02")
    rows = max(len(ins), len(outs), 1)
    height = max(rows * 46 + 40, 140)
    width = 960
    biggest = max([p[1] for p in ins + outs] or [Decimal(1)]) or Decimal(1)
    cx, cy = width / 2, height / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="flow" role="img" aria-label="资金流向图 money flow">',
        "<title>资金流向：转入方 → 客户 → 转出方</title>",
    ]

    def side(parties: list[Party], x: float, anchor: str, colour: str) -> None:
        step = (height - 40) / max(len(parties), 1)
        for i, (label, total, count, days) in enumerate(parties):
            y = 20 + step * (i + 0.5)
            stroke = 1.5 + 14 * float(total / biggest)
            box_x = x - 280 if anchor == "end" else x
            line_x = x
            parts.append(
                f'<path d="M{line_x:.0f},{y:.0f} C{(line_x + cx) / 2:.0f},{y:.0f} '
                f'{(line_x + cx) / 2:.0f},{cy:.0f} {cx:.0f},{cy:.0f}" fill="none" '
                f'stroke="{colour}" stroke-opacity="0.55" stroke-width="{stroke:.1f}"/>'
            )
            hover = f"{label}：¥{money(total)}，{count} 笔，交易日 {days}"
            parts.append(
                f'<g class="party"><title>{escape(hover)}</title>'
                f'<rect x="{box_x:.0f}" y="{y - 17:.0f}" width="280" height="34" rx="4" '
                f'fill="#fff" stroke="{colour}"/>'
            )
            parts.append(
                f'<text x="{box_x + 8:.0f}" y="{y - 2:.0f}" font-size="12">{escape(label[:30])}</text>'
            )
            parts.append(
                f'<text x="{box_x + 8:.0f}" y="{y + 12:.0f}" font-size="11" fill="#555">'
                f"¥{escape(money(total))}，{count} 笔</text></g>"
            )

    side(ins, 290, "end", "#2f6fb0")
    side(outs, width - 290, "start", "#c0392b")
    parts.append(
        f'<rect x="{cx - 90:.0f}" y="{cy - 24:.0f}" width="180" height="48" rx="6" '
        f'fill="#fdf2e9" stroke="#935116" stroke-width="2"/>'
    )
    parts.append(
        f'<text x="{cx:.0f}" y="{cy + 5:.0f}" font-size="13" text-anchor="middle" '
        f'font-weight="bold">{escape(subject[:14])}</text>'
    )
    parts.append(
        f'<text x="10" y="14" font-size="11" fill="#2f6fb0">转入 {in_parties} 方</text>'
        f'<text x="{width - 10}" y="14" font-size="11" fill="#c0392b" text-anchor="end">'
        f"转出 {out_parties} 方</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def timeline(evidence: Sequence[Mapping[str, Any]], start: dt.date, end: dt.date) -> str:
    """Receipts (up) and payments (down) of the evidence, day by day over the window."""
    per_day: dict[dt.date, list[Any]] = defaultdict(lambda: [Decimal(0), 0, Decimal(0), 0])
    for t in evidence:
        booked = _day_of(t.get("booked_at"))
        if booked is None:
            continue
        at = 0 if t.get("direction_code") == "01" else 2
        per_day[booked][at] += Decimal(str(t.get("amount_cny") or 0))
        per_day[booked][at + 1] += 1
    first, last = min([start, *per_day]), max([end, *per_day])
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    width, height, pad = 960, 220, 30
    mid = height / 2
    top = max([max(v[0], v[2]) for v in per_day.values()] or [Decimal(1)]) or Decimal(1)
    step = (width - 2 * pad) / max(len(days), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" '
        f'role="img" aria-label="逐日收付时间线 receipts and payments per day">',
        f'<text x="{pad}" y="14" font-size="11" fill="#2f6fb0">▲ 收入（转入）</text>'
        f'<text x="{pad}" y="{height - 4}" font-size="11" fill="#c0392b">▼ 支出（转出）</text>',
        f'<line x1="{pad}" y1="{mid}" x2="{width - pad}" y2="{mid}" stroke="#888"/>',
    ]
    for i, day in enumerate(days):
        got, n_in, paid, n_out = per_day.get(day, [Decimal(0), 0, Decimal(0), 0])
        x = pad + i * step
        up = float(got / top) * (mid - pad)
        down = float(paid / top) * (mid - pad)
        hover = f"{day}：收 ¥{money(got)}（{n_in} 笔），付 ¥{money(paid)}（{n_out} 笔）"
        parts.append(
            f'<g class="day"><title>{escape(hover)}</title>'
            f'<rect x="{x + 1:.1f}" y="{mid - up:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{up:.1f}" fill="#2f6fb0"/>'
            f'<rect x="{x + 1:.1f}" y="{mid:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{down:.1f}" fill="#c0392b"/>'
            f'<rect x="{x:.1f}" y="{pad}" width="{step:.1f}" height="{height - 2 * pad}" '
            f'fill="transparent"/></g>'
        )
        if len(days) <= 16 or i % 3 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 16}" font-size="10">{day:%m-%d}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ticks(most: int) -> list[int]:
    """Round values for a value axis from 0 to at least `most`, at most 5 steps (1, 2, 5,
    10, 20, 50, … apart)."""
    step = 1
    while most > 5 * step:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2
    top = max(-(-most // step) * step, step)
    return list(range(0, top + 1, step))


def bars_by_day(per_day: Sequence[tuple[dt.date, int]]) -> str:
    """Alerts opened per day, one bar a day, over a value axis (条 a day) with its grid."""
    width, height, pad, left = 900, 220, 30, 50
    most = max([n for _, n in per_day] or [0])
    ticks = _ticks(most)
    top = ticks[-1]
    step = (width - left - pad) / max(len(per_day), 1)
    plot = height - 2 * pad
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" '
        f'role="img" aria-label="每日新增预警数（条）">',
        '<text x="4" y="16" font-size="11">预警数（条/日）</text>',
    ]
    for value in ticks:
        y = height - pad - plot * value / top
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - pad}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{value}</text>'
        )
    for i, (day, n) in enumerate(per_day):
        h = plot * n / top
        x = left + i * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{height - pad - h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="#2f6fb0"><title>{day.isoformat()}：{n} 条</title></rect>'
        )
        if i % 5 == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 10}" font-size="10">{day:%m-%d}</text>')
    parts.append(
        f'<line x1="{left}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        f'stroke="#888"/><line x1="{left}" y1="{pad}" x2="{left}" y2="{height - pad}" '
        'stroke="#888"/>'
    )
    if not most:
        parts.append(
            f'<text x="{left + 10}" y="{height / 2:.0f}" font-size="12">该期间无新增预警</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bars_by_rule(per_rule: Mapping[str, int], names: Mapping[str, str] | None = None) -> str:
    """Alerts per monitoring standard, horizontal bars, each with its code and name."""
    items = sorted(per_rule.items())
    names = names or {}
    width, row, label = 900, 30, 380  # code and name: AMLW-SP-0101 分散转入集中转出
    height = row * max(len(items), 1) + 10
    top = max([n for _, n in items] or [1]) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" '
        f'role="img" aria-label="按监测标准的预警数">'
    ]
    for i, (code, n) in enumerate(items):
        w = (width - label - 60) * n / top
        y = 5 + i * row
        colour = _PALETTE[i % len(_PALETTE)]
        name = names.get(code, "")
        text = f"{code} {name}".strip()
        parts.append(f'<text x="0" y="{y + 16}" font-size="13">{escape(text)}</text>')
        parts.append(
            f'<rect x="{label}" y="{y}" width="{w:.1f}" height="{row - 10}" fill="{colour}"/>'
            f'<text x="{label + 6 + w:.1f}" y="{y + 15}" font-size="13">{n} 条</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_ROLE_COLOURS = {"source": "#2f6fb0", "intermediary": "#935116", "sink": "#c0392b",
                 "origin": "#8e44ad"}  # fmt: skip


def structure_graph(
    members: Sequence[Mapping[str, Any]], edges: Sequence[Mapping[str, Any]]
) -> str:
    """A network structure: its customers as boxes coloured by role, in columns by how many
    transfers from the first payer the money took to reach them (a chain reads left to
    right, a fan in three columns, a circle's last transfer curves back), each transfer an
    arrow with its amount and time; customer ids only (accounts are in the table)."""
    role = {str(m["customer_id"]): str(m["role"]) for m in members}
    depth: dict[str, int] = {}
    for e in edges:  # in path (time) order
        payer, payee = str(e["payer_customer"]), str(e["payee_customer"])
        depth.setdefault(payer, 0)
        depth.setdefault(payee, depth[payer] + 1)
    for customer in role:
        depth.setdefault(customer, 0)
    columns = max(depth.values(), default=0) + 1
    rows: dict[int, list[str]] = defaultdict(list)
    for customer in sorted(depth, key=lambda c: (depth[c], list(depth).index(c))):
        rows[depth[customer]].append(customer)
    height = max(len(r) for r in rows.values()) * 110 + 60 if rows else 140
    width = 960
    box_w, box_h = 150, 44
    gap = (width - 2 * 30 - box_w) / max(columns - 1, 1)
    place = {}
    for col, people in rows.items():
        step = (height - 40) / len(people)
        for i, customer in enumerate(people):
            place[customer] = (30 + col * gap, 20 + step * (i + 0.5))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="flow" '
        f'role="img" aria-label="资金网络结构图 the structure\'s transfers">',
        "<title>资金网络结构：客户（按角色着色）之间逐笔转账</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
        "</marker></defs>",
    ]
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for e in edges:
        payer, payee = str(e["payer_customer"]), str(e["payee_customer"])
        (x1, y1), (x2, y2) = place[payer], place[payee]
        nth = seen[(payer, payee)]
        seen[(payer, payee)] += 1
        label = f"¥{money(Decimal(str(e['amount_cny'])))} · {_when(e.get('booked_at'))}"
        if depth[payee] > depth[payer]:  # forward: box edge to box edge
            ax, ay, bx, by = x1 + box_w, y1 + nth * 8, x2, y2 + nth * 8
            path = f"M{ax:.0f},{ay:.0f} L{bx:.0f},{by:.0f}"
            # above its own arrow's middle by a box's half height: clear of the boxes on
            # either side, and apart from the other arrows of a fan (their middles differ)
            tx, ty = (ax + bx) / 2, (ay + by) / 2 - box_h / 2 - 8 - nth * 13
        else:  # back to an earlier column (a circle closing): under the boxes
            ax, ay = x1 + box_w / 2, y1 + box_h / 2
            bx, by = x2 + box_w / 2, y2 + box_h / 2
            low = max(ay, by) + 40 + nth * 14
            path = f"M{ax:.0f},{ay:.0f} C{ax:.0f},{low:.0f} {bx:.0f},{low:.0f} {bx:.0f},{by:.0f}"
            tx, ty = (ax + bx) / 2, low - 4
        parts.append(
            f'<g class="transfer"><title>{escape(payer)} → {escape(payee)}：{escape(label)}</title>'
            f'<path d="{path}" fill="none" stroke="#555" stroke-width="1.6" '
            f'marker-end="url(#arrow)"/>'
            f'<text x="{tx:.0f}" y="{ty:.0f}" font-size="11" text-anchor="middle" fill="#333" '
            f'stroke="#fff" stroke-width="3" paint-order="stroke">{escape(label)}</text></g>'
        )
    for customer, (x, y) in place.items():
        kind = role.get(customer, "intermediary")
        colour = _ROLE_COLOURS.get(kind, "#566573")
        parts.append(
            f'<g class="member"><title>{escape(customer)}（{STRUCTURE_ROLES.get(kind, kind)} {kind}）</title>'
            f'<rect x="{x:.0f}" y="{y - box_h / 2:.0f}" width="{box_w}" height="{box_h}" rx="5" '
            f'fill="#fff" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{x + box_w / 2:.0f}" y="{y - 3:.0f}" font-size="12" text-anchor="middle" '
            f'font-weight="bold">{escape(customer[:18])}</text>'
            f'<text x="{x + box_w / 2:.0f}" y="{y + 13:.0f}" font-size="11" text-anchor="middle" '
            f'fill="{colour}">{STRUCTURE_ROLES.get(kind, escape(kind))}（{escape(kind)}）</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _when(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"{value:%m-%d %H:%M}"
    return escape(str(value or ""))[:16]
