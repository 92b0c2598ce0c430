"""Customer risk rating in the review (客户洗钱风险等级): the levels in force, the rating reviews
the nights open, and their review with four eyes.

A night gives the system's rating of every customer (the stage computes it). A new customer at
a level the model lets the system confirm is rated at once; any other new customer, a change of
the model's level, a periodic review the model gives to people and an event (a report filed, a
confirmed list hit, a change of identity data, a judicial enquiry or media report a liaison
records) open a rating review. A liaison of the customer's branch (or an approver) looks at the
factors, their scores and the customer's history and proposes a level — another than the
model's only with a reason; an approver, another person, confirms it or sends it back. The
confirmed level, its reasons and its next review date are a new row of the customer's rating
history: nothing is overwritten. Every look and every step is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from amlwatch.cases import rating_rows as rows
from amlwatch.cases import repository as repo
from amlwatch.cases.audit import append as audit
from amlwatch.cases.exceptions import FourEyes, InvalidInput, NotFound, WrongState
from amlwatch.cases.rating_rows import CustomerRating, RatingEvent, RatingReview
from amlwatch.cases.security import enforce_case_reader, require, visible_branches
from amlwatch.cases.usecases.base import MIN_TEXT, SYSTEM, ReviewBase
from amlwatch.models import Role, User
from amlwatch.rating import RatingModel, load_model, next_review_due

READERS = (Role.LIAISON, Role.APPROVER, Role.AUDITOR)


@dataclass(frozen=True, slots=True)
class RatingPage:
    review: RatingReview
    events: list[RatingEvent]
    history: list[CustomerRating]
    may_propose: bool
    may_decide: bool


@dataclass(frozen=True, slots=True)
class Night:
    """What a night's rating did in the case store."""

    confirmed: int = 0  # ratings the system confirmed (new customers, unchanged periodic ones)
    opened: dict[str, int] | None = None  # reviews opened per trigger
    refreshed: int = 0  # open reviews given the night's rating


class Rating(ReviewBase):
    """Levels in force, rating reviews and their four-eyes review."""

    _rating_model: RatingModel | None = None

    @property
    def rating_model(self) -> RatingModel:
        if self._rating_model is None:
            self._rating_model = load_model()
        return self._rating_model

    @rating_model.setter
    def rating_model(self, model: RatingModel) -> None:
        self._rating_model = model

    def level_name(self, code: str | None) -> str:
        if not code:
            return "未评级"
        try:
            return self.rating_model.level(code).name
        except KeyError:
            return code

    def next_review(self, level: str, confirmed: dt.date) -> dt.date:
        months = self.rating_model.level(level).review_months
        return next_review_due(confirmed, months, self.add_working_days)

    # --- the nights (the system) -------------------------------------------------------------

    def rating_state(self) -> tuple[list[tuple[str, str, str, dt.date]], dict[str, int]]:
        """For the night: every customer's level in force, and the open reviews by customer."""
        with self.store.read() as con:
            return rows.levels_in_force(con), rows.open_reviews_by_customer(con)

    def rating_facts(self, since: dt.date) -> dict[str, dict[str, int]]:
        """For the night: each customer's cases since `since`, reports, list hits and open
        screening cases (only customers with any)."""
        with self.store.read() as con:
            return rows.monitoring_facts(con, since)

    def take_ratings(
        self,
        day: dt.date,
        confirms: Sequence[dict[str, Any]],
        reviews: Sequence[dict[str, Any]],
        refreshes: Sequence[dict[str, Any]],
    ) -> Night:
        """The night's work (by the system), in one transaction: ratings it confirms, reviews
        it opens, open reviews it refreshes (`review_id` and the night's rating)."""
        now = dt.datetime.now()
        opened: dict[str, int] = {}
        with self.store.write() as con:
            rows.add_ratings(
                con, [{**c, "confirmed_by": SYSTEM, "created_at": now} for c in confirms]
            )
            for review in reviews:
                review_id = rows.open_review(con, dict(review), now)
                opened[review["trigger"]] = opened.get(review["trigger"], 0) + 1
                audit(con, SYSTEM, "rating review opened", f"rating:{review_id}",
                      state=rows.NEW, result=review["trigger"])  # fmt: skip
            for fresh in refreshes:
                values = {k: v for k, v in fresh.items() if k != "review_id"}
                rows.refresh(con, int(fresh["review_id"]), values, now)
            if confirms:
                audit(
                    con,
                    SYSTEM,
                    "ratings confirmed",
                    f"rating-night:{day.isoformat()}",
                    n=len(confirms),
                )
        return Night(len(confirms), opened, len(refreshes))

    # --- reading -----------------------------------------------------------------------------

    def rating_queue(self, actor: User, states: Sequence[str] = rows.OPEN) -> list[RatingReview]:
        """The rating reviews the user may see, the earliest due first."""
        enforce_case_reader(actor)
        with self.store.read() as con:
            return rows.find(con, visible_branches(actor), states)

    def rating_counts(self, actor: User) -> dict[str, int]:
        """Open reviews per state and overdue ones, within the user's branches."""
        if actor.role not in READERS:
            return {}
        with self.store.read() as con:
            return rows.count_open(con, visible_branches(actor), self.today())

    def rating_review(self, actor: User, review_id: int) -> RatingPage:
        """A review with its events and the customer's rating history; the look is audited."""
        with self.store.write() as con:
            review = self._visible_review(con, actor, review_id)
            audit(con, actor.username, "rating viewed", f"rating:{review.id}")
            events = rows.events_of(con, review.id)
            past = rows.history(con, review.customer_id)
        may_propose = review.state == rows.NEW and actor.role in (Role.LIAISON, Role.APPROVER)
        may_decide = (
            review.state == rows.PROPOSED and actor.role is Role.APPROVER
            and review.proposed_by != actor.username
        )  # fmt: skip
        return RatingPage(review, events, past, may_propose, may_decide)

    def customer_ratings(
        self, actor: User, customer_ids: Sequence[str]
    ) -> dict[str, CustomerRating]:
        """The levels in force of these customers, for those who see cases (none otherwise)."""
        if actor.role not in READERS or not customer_ids:
            return {}
        with self.store.read() as con:
            return rows.in_force(con, list(customer_ids))

    def rating_history(self, actor: User, customer_id: str) -> list[CustomerRating]:
        """Every level the customer was given, newest first, within the user's branches."""
        enforce_case_reader(actor)
        with self.store.read() as con:
            past = rows.history(con, customer_id)
        branches = visible_branches(actor)
        if branches is not None and past and past[0].branch_code not in branches:
            return []
        return past

    def rating_period(
        self, actor: User | None, start: dt.date, end: dt.date
    ) -> tuple[dict[str, int], list[RatingReview], int]:
        """For the work report (the user's branches; None: the whole bank): customers per level
        in force, the reviews confirmed in the period, and the open ones past their due date."""
        branches = visible_branches(actor) if actor is not None else None
        with self.store.read() as con:
            mine = rows.all_in_force(con, branches)
            decided = rows.reviews_between(con, start, end)
            overdue = rows.count_open(con, branches, self.today())["overdue"]
        per_level = {
            lv.code: sum(r.level == lv.code for r in mine) for lv in self.rating_model.levels
        }
        decided = [r for r in decided if branches is None or r.branch_code in branches]
        return per_level, decided, overdue

    def rating_user(self, username: str) -> User:
        """The person of the app a console export is recorded as (`--as`): active, never the
        operating-system user."""
        with self.store.read() as con:
            user = repo.user_by_name(con, username)
        if user is None or not user.active:
            raise NotFound(f"无此在用用户 {username} / no active user of the app of that name")
        return user

    def rating_register(self, actor: User) -> list[CustomerRating]:
        """Every customer's level in force (the inspection export), for approvers, auditors and
        administrators (a liaison exports nothing); audited."""
        require(actor, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
        branches = visible_branches(actor) if actor.role is not Role.ADMIN else None
        with self.store.write() as con:
            found = rows.all_in_force(con, branches)
            audit(con, actor.username, "ratings exported", "ratings", n=len(found))
        return found

    def _visible_review(self, con: Any, actor: User, review_id: int) -> RatingReview:
        enforce_case_reader(actor)
        review = rows.review_by_id(con, review_id) if 0 < review_id < 2**31 else None
        branches = visible_branches(actor)
        if review is None or (branches is not None and review.branch_code not in branches):
            raise NotFound("无此评级复核 / no such rating review")
        return review

    # --- review ------------------------------------------------------------------------------

    def propose_rating(self, actor: User, review_id: int, level: str, text: str) -> RatingReview:
        """A liaison (or approver) proposes the customer's level: another level than the
        model's needs a reason of at least `MIN_TEXT` characters."""
        require(actor, Role.LIAISON, Role.APPROVER)
        text = text.strip()
        if level not in {lv.code for lv in self.rating_model.levels}:
            raise InvalidInput(f"未知风险等级 {level} / unknown level")
        now = dt.datetime.now()
        with self.store.write() as con:
            review = self._visible_review(con, actor, review_id)
            if review.state != rows.NEW:
                raise WrongState(
                    f"复核状态为“{review.state_name}”，不能提议 / not open for a proposal"
                )
            if level != review.computed_level and len(text) < MIN_TEXT:
                raise InvalidInput(
                    f"调整系统评定等级须写明理由（至少 {MIN_TEXT} 个字）/ a level other than the "
                    f"model's needs a reason of at least {MIN_TEXT} characters"
                )
            if not text:
                raise InvalidInput("请写明评定意见 / say why this level")
            self._rating_step(con, actor, review, rows.PROPOSED, "rating proposed", now,
                              {"proposed_level": level, "proposed_by": actor.username, "proposal": text},
                              level=level, text=text)  # fmt: skip
            return rows.review_by_id(con, review.id)  # type: ignore[return-value]

    def decide_rating(
        self, actor: User, review_id: int, confirm: bool, note: str = ""
    ) -> RatingReview:
        """An approver other than the proposer confirms the proposed level (a new row of the
        customer's rating history with its next review date) or sends it back."""
        require(actor, Role.APPROVER)
        now = dt.datetime.now()
        with self.store.write() as con:
            review = self._visible_review(con, actor, review_id)
            if review.state != rows.PROPOSED:
                raise WrongState(
                    f"复核状态为“{review.state_name}”，无待复核的提议 / nothing to decide"
                )
            if review.proposed_by == actor.username:
                raise FourEyes(
                    "提议人不能复核自己的提议 / the proposer cannot decide their own proposal"
                )
            if not confirm:
                self._rating_step(
                    con, actor, review, rows.NEW, "rating sent back", now, {}, text=note.strip()
                )
                return rows.review_by_id(con, review.id)  # type: ignore[return-value]
            level = str(review.proposed_level)
            today = self.today()
            self._rating_step(con, actor, review, rows.CONFIRMED, "rating confirmed", now,
                              {"decided_by": actor.username, "decided_at": now}, level=level,
                              text=note.strip())  # fmt: skip
            rows.add_ratings(con, [{
                "customer_id": review.customer_id, "customer_name": review.customer_name,
                "branch_code": review.branch_code, "level": level,
                "computed_level": review.computed_level, "score": review.score, "model": review.model,
                "factors": review.factors, "reasons": review.reasons, "rated_on": today,
                "confirmed_by": actor.username, "review_id": review.id,
                "next_review_on": self.next_review(level, today),
                "note": review.proposal, "created_at": now,
            }])  # fmt: skip
            return rows.review_by_id(con, review.id)  # type: ignore[return-value]

    def request_rating(self, actor: User, customer_id: str, event: str, text: str) -> int:
        """A liaison or approver opens an event review of a rated customer of their branches
        (a judicial enquiry, a media report, …) with what happened; the review id."""
        require(actor, Role.LIAISON, Role.APPROVER)
        if event not in rows.EVENTS:
            raise InvalidInput(f"未知事件 {event} / unknown event")
        if len(text.strip()) < MIN_TEXT:
            raise InvalidInput(f"请写明事件情况（至少 {MIN_TEXT} 个字）/ describe the event")
        now = dt.datetime.now()
        with self.store.write() as con:
            current = rows.in_force(con, [customer_id]).get(customer_id)
            branches = visible_branches(actor)
            if current is None or (branches is not None and current.branch_code not in branches):
                raise NotFound("无此已评级客户 / no rated customer of that number")
            existing = rows.open_reviews_by_customer(con).get(customer_id)
            if existing is not None:
                return existing
            review_id = rows.open_review(con, {
                "customer_id": customer_id, "customer_name": current.customer_name,
                "branch_code": current.branch_code, "trigger": "event",
                "trigger_detail": f"{rows.EVENTS[event]}：{text.strip()}", "opened_on": self.today(),
                "due_on": self.add_working_days(self.today(), self.rating_model.new_customer_working_days),
                "model": current.model, "current_level": current.level,
                "computed_level": current.computed_level, "score": current.score,
                "factors": current.factors, "reasons": current.reasons,
            }, now)  # fmt: skip
            audit(con, actor.username, "rating requested", f"rating:{review_id}", result=event,
                  text=text.strip())  # fmt: skip
            return review_id

    def _rating_step(
        self, con: Any, actor: User, review: RatingReview, to: str, action: str, now: dt.datetime,
        values: dict[str, Any], **detail: Any,
    ) -> None:  # fmt: skip
        if not rows.set_state(con, review, to, now, **values):
            raise WrongState("复核已被他人处理，请刷新 / someone else moved the review: reload it")
        rows.add_event(con, review.id, actor.username, action, review.state, to, now, **detail)
        audit(con, actor.username, action, f"rating:{review.id}", state=to, **detail)


__all__ = ["Night", "Rating", "RatingPage"]
