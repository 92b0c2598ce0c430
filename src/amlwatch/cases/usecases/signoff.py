"""What a case's report is made of besides its evidence: the system's draft narrative (to
tell a person's text from it) and the sign-off of the last round (who proposed and who
approved at each level, when, with what note)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from amlwatch.cases import repository as repo
from amlwatch.cases.snapshot import decode
from amlwatch.models import Case, CaseEvent, in_china, split_narrative
from amlwatch.printed import SignLine


def system_draft(con: Any, case: Case) -> tuple[str, str] | None:
    """The system's draft narrative of the evidence version under review."""
    snap = repo.snapshot(con, case.id, case.snapshot_version)
    if snap is None:
        return None
    content = decode(snap[1])  # a case of several standards has its combined draft
    narrative = content.get("narrative") or content.get("alert", {}).get("narrative")
    return split_narrative(str(narrative)) if narrative else None


def signoff_of(con: Any, history: Sequence[CaseEvent]) -> list[SignLine]:
    """The sign-off of the last round: the proposer, then every approval level."""
    steps: list[CaseEvent] = []
    for event in history:
        if event.action == "proposed":
            steps = [event]
        elif event.action in ("approved level", "approved") and steps:
            steps.append(event)
        elif event.action == "sent back":
            steps = []
    lines = []
    for i, event in enumerate(steps):
        user = repo.user_by_name(con, event.username)
        if i == 0:
            role = "填报人（初审）"
        elif event.action == "approved":
            role = f"审批人（第 {i + 1} 级 终审）"
        else:
            role = f"复核人（第 {i + 1} 级 复审）"
        lines.append(
            SignLine(
                role,
                user.display_name if user else event.username,
                event.username,
                in_china(event.at).date(),  # the day in Beijing, as the history shows it
                str(event.detail.get("note") or ""),
            )
        )
    return lines
