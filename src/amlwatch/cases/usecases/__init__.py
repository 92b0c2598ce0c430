"""The review use cases, one module per area: sessions, users (administration), decisions
(the list, the case page, each state change), snoozes and oversight (dashboard, audit,
large-value reports).

Every use case takes the acting `User` first and checks access through `cases.security`
(role, branches, state, four eyes) before it touches anything; every change and every view
is written to the audit log in the same transaction as the change. The web app and the CLI
only call these, through the one `Review` that combines the areas.
"""

from collections.abc import Sequence

from amlwatch.cases.usecases.base import (
    DIRECTIONS,
    OPEN_STATES,
    STATE_NAMES,
    SYSTEM,
    TO_REPORT,
    URGENCY,
    WAITING_ON,
    Deadline,
)
from amlwatch.cases.usecases.bulk import BatchResult, run_batch
from amlwatch.cases.usecases.decisions import CasePage, CaseView, Decisions
from amlwatch.cases.usecases.oversight import Dashboard, Oversight
from amlwatch.cases.usecases.rating import Rating, RatingPage
from amlwatch.cases.usecases.reporting import Reporting
from amlwatch.cases.usecases.screening import Screening, ScreeningPage
from amlwatch.cases.usecases.sessions import Sessions
from amlwatch.cases.usecases.snoozes import Snoozes
from amlwatch.cases.usecases.standards import StandardsLibrary
from amlwatch.cases.usecases.users import Users
from amlwatch.cases.usecases.work import Related, Work
from amlwatch.models import User


class Review(
    Sessions,
    Users,
    Decisions,
    Work,
    Reporting,
    Snoozes,
    Oversight,
    StandardsLibrary,
    Screening,
    Rating,
):
    """Every review use case over one case store (see `ReviewBase` for its arguments)."""

    def bulk(
        self,
        actor: User,
        case_ids: Sequence[int],
        action: str,
        to: str = "",
        reason: str = "",
        text: str = "",
    ) -> BatchResult:
        """Many cases of the list at once, each through its one-case use case
        (`usecases.bulk`)."""
        return run_batch(self, actor, case_ids, action, to, reason, text)


__all__ = [
    "DIRECTIONS",
    "OPEN_STATES",
    "STATE_NAMES",
    "SYSTEM",
    "TO_REPORT",
    "URGENCY",
    "WAITING_ON",
    "CasePage",
    "CaseView",
    "Dashboard",
    "Deadline",
    "RatingPage",
    "Related",
    "Review",
    "ScreeningPage",
]
