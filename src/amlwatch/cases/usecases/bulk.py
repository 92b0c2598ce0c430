"""Working many cases at once from the list (a liaison with a hundred alerts a day): claim the
unassigned ones, give them to a liaison, propose their dismissal with one reason and
explanation. Each case goes through the same use case as one at a time — its access check,
its state rule, its audit entry, its second look — so a batch can do nothing a person could
not do case by case; what a case refuses is reported with its reason, the rest is done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from amlwatch.cases.exceptions import CaseError, InvalidInput
from amlwatch.models import CaseState, Role, User

if TYPE_CHECKING:
    from amlwatch.cases.usecases import Review

MAX_BATCH = 200  # cases one request may touch (a page of the list holds 50)
ACTIONS = ("claim", "assign", "dismiss")


@dataclass(slots=True)
class BatchResult:
    """What a batch did: the cases done, and each refused case with why."""

    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def run_batch(
    review: Review,
    actor: User,
    case_ids: Sequence[int],
    action: str,
    to: str = "",
    reason: str = "",
    text: str = "",
) -> BatchResult:
    """`claim` (a liaison takes the unassigned cases), `assign` (an approver gives them to the
    liaison `to`), `dismiss` (a liaison proposes their dismissal — or dismisses, where a
    standard allows it alone; a new case is taken into review first)."""
    if action not in ACTIONS:
        raise InvalidInput("未知的批量操作 / unknown batch action")
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise InvalidInput("请先勾选案件 / choose the cases first")
    if len(ids) > MAX_BATCH:
        raise InvalidInput(f"一次最多处理 {MAX_BATCH} 件 / at most {MAX_BATCH} cases at once")
    result = BatchResult()
    for case_id in ids:
        try:
            if action == "claim":
                review.assign_case(actor, case_id, actor.username)
            elif action == "assign":
                review.assign_case(actor, case_id, to)
            else:
                if (
                    actor.role is Role.LIAISON
                    and review.case_state(actor, case_id) is CaseState.NEW
                ):
                    review.start_review(actor, case_id)
                review.dismiss(actor, case_id, reason, text)
        except CaseError as error:
            result.refused[case_id] = str(error)
        else:
            result.done.append(case_id)
    return result
