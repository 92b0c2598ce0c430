"""A rule pack with the standards' versions an approver put in force (the case store keeps
them): for a day, each standard takes its latest version in force on that day, changed key by
key as an extending pack would change it, and checked the same way."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from amlwatch.rules.exceptions import UnknownRulePack
from amlwatch.rules.packs import RulePack, _merge, _parse

# what a version may change of a standard (its code, family and name stay)
CHANGEABLE = frozenset(
    {"status", "params", "window_business_days", "owner", "indicators", "by_risk_level"}
)


@dataclass(frozen=True, slots=True)
class LibraryVersion:
    """One approved version: the standard, its version, what it changes, from which day."""

    code: str
    version: str
    changes: dict[str, Any]
    effective_from: dt.date
    order: int = 0  # later approvals of the same day win


def check_changes(pack: RulePack, code: str, changes: dict[str, Any]) -> RulePack:
    """The pack with one standard changed, or UnknownRulePack saying what is wrong."""
    unknown = sorted(set(changes) - CHANGEABLE)
    if unknown:
        raise UnknownRulePack(
            f"standard {code}: cannot change {unknown}; changeable {sorted(CHANGEABLE)}"
        )
    return apply_library(pack, [LibraryVersion(code, "check", changes, dt.date.min)], dt.date.max)


def apply_library(pack: RulePack, versions: Sequence[LibraryVersion], day: dt.date) -> RulePack:
    """`pack` with, per standard, its latest version in force on `day`; the pack itself when
    none applies. The label names the versions applied (`pboc-2016@2016.3+lib.<digest>`)."""
    if pack.suspicious is None:
        return pack
    latest: dict[str, LibraryVersion] = {}
    for v in sorted(versions, key=lambda v: (v.effective_from, v.order)):
        if v.effective_from <= day:
            latest[v.code] = v
    if not latest:
        return pack
    known = {s.code for s in pack.suspicious.standards}
    missing = sorted(set(latest) - known)
    if missing:
        raise UnknownRulePack(f"{pack.label}: no standard {missing} to change")
    raw = dict(pack.raw) | {"suspicious": dict(pack.raw["suspicious"])}
    items = []
    for item in pack.raw["suspicious"]["standards"]:
        found = latest.get(item["code"])
        if found is not None:
            item = _merge(item, {**found.changes, "version": found.version})
        items.append(item)
    raw["suspicious"]["standards"] = items
    applied = [
        (v.code, v.version, str(v.effective_from))
        for v in sorted(latest.values(), key=lambda v: v.code)
    ]
    digest = hashlib.sha256(json.dumps(applied).encode()).hexdigest()[:8]
    changed = _parse(raw)
    return dataclasses.replace(changed, version=f"{pack.version}+lib.{digest}")
