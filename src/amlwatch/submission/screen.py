"""Screening records before a message is written: the validator's problems traced back to the
records that cause them, so that a night files every record that passes and holds the few
that cannot be filed (待补正) with their reasons, instead of writing no file at all.

A problem belongs to the innermost repeated group of the message that holds it — a
transaction (TSDT), an identity (CCIF), a characteristic (HTCR), a customer's day (CATI) — and
so to every record under that group: a customer's invalid ID number holds that customer's
records of the day, an unknown transaction method holds that one transaction. A problem
outside every record (the message's own header) is not the data's fault: it raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from amlwatch.submission.exceptions import InvalidMessage
from amlwatch.submission.messages import Row
from amlwatch.submission.structure import Data, Group, Problem, to_xml
from amlwatch.submission.validate import validate

# the field tags a reason names, in Chinese (the rest are named by their tag alone)
FIELD_NAMES = {
    "CTID": "客户证件号码",
    "CITP": "客户证件类型",
    "CTNT": "客户国籍",
    "CTVC": "客户职业或行业",
    "CTNM": "客户名称",
    "TSTP": "交易方式",
    "TCIT": "交易对手证件类型",
    "TCID": "交易对手证件号码",
    "TCAT": "交易对手账户类型",
    "CFRC": "交易对手所在地区",
    "CATP": "账户类型",
    "TBIT": "代办人证件类型",
    "TBID": "代办人证件号码",
    "TBNT": "代办人国籍",
}


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """A record the validator refuses, with the reasons (field and rule) it cannot be filed."""

    row: Row
    reasons: tuple[str, ...]


def field_reason(problem: Problem) -> str:
    """A problem as a hold states it: the field (label and tag) and the rule it failed."""
    tag = problem.location.rsplit("/", 1)[-1].split("[", 1)[0]
    label = FIELD_NAMES.get(tag, "")
    return f"{label}（{tag}）：{problem.reason}" if label else f"{tag}：{problem.reason}"


def large_value_paths(rows: Sequence[Row]) -> list[str]:
    """Each row's transaction in the HVTR that `messages.large_value_new` builds of `rows`:
    one CATI per customer and day, one HTCR per characteristic, one CCIF, the TSDTs."""
    paths: list[str] = []
    by_day = groupby(rows, key=lambda r: (r["customer_id"], r["trade_date"]))
    for i, (_, day_rows) in enumerate(by_day, 1):
        for j, (_, code_rows) in enumerate(
            groupby(day_rows, lambda r: r["characteristic_code"]), 1
        ):
            for m, _row in enumerate(code_rows, 1):
                paths.append(f"HVTR/CATIs/CATI[{i}]/HTCRs/HTCR[{j}]/CCIFs/CCIF[1]/TSDTs/TSDT[{m}]")
    return paths


def correction_paths(rows: Sequence[Row]) -> list[str]:
    """Each row's transaction in the CHTR of `messages.large_value_correction`: one TSDT each."""
    return [f"CHTR/TSDTs/TSDT[{i}]" for i in range(1, len(rows) + 1)]


def screen(
    rows: Sequence[Row],
    build: Callable[[Sequence[Row]], Data],
    template: Group,
    paths: Callable[[Sequence[Row]], list[str]],
    what: str,
) -> tuple[list[Row], list[HeldRecord], bytes | None]:
    """Split `rows` into those one valid message carries and those it cannot.

    Returns the rows filed, the records held with their reasons, and the valid message of
    the rows filed (None when every row is held). Raises InvalidMessage for a problem that
    belongs to no record.
    """
    reasons: dict[int, list[str]] = {}
    kept = list(range(len(rows)))
    while kept:
        part = [rows[i] for i in kept]
        xml = to_xml(template, build(part))
        _, _, problems = validate(xml)
        if not problems:
            return part, _held(rows, reasons), xml
        owners = _owners(paths(part))
        stray = []
        for problem in problems:
            found = _owner(problem.location, owners)
            if found is None:
                stray.append(problem)
                continue
            for k in found:
                reasons.setdefault(kept[k], []).append(field_reason(problem))
        if stray:
            raise InvalidMessage(what, stray)
        kept = [i for i in kept if i not in reasons]
    return [], _held(rows, reasons), None


def _held(rows: Sequence[Row], reasons: dict[int, list[str]]) -> list[HeldRecord]:
    return [HeldRecord(rows[i], tuple(dict.fromkeys(r))) for i, r in sorted(reasons.items())]


def _owners(paths: Sequence[str]) -> dict[str, list[int]]:
    """Every repeated group (a path ending in `[n]`) and the rows under it."""
    owners: dict[str, list[int]] = {}
    for k, path in enumerate(paths):
        parts = path.split("/")
        for end in range(1, len(parts) + 1):
            if parts[end - 1].endswith("]"):
                owners.setdefault("/".join(parts[:end]), []).append(k)
    return owners


def _owner(location: str, owners: dict[str, list[int]]) -> list[int] | None:
    """The rows under the innermost repeated group holding `location`, or None."""
    parts = location.split("/")
    for end in range(len(parts), 0, -1):
        found = owners.get("/".join(parts[:end]))
        if found is not None:
            return found
    return None
