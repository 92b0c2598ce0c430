"""Four eyes on access, on SQLite and PostgreSQL: what gives someone sight of cases waits for
a second administrator; what takes it away acts at once."""

from __future__ import annotations

import pytest

from amlwatch.cases import FourEyes, LoginFailed, Review
from amlwatch.cases import repository as repo
from amlwatch.cases.audit import verify
from amlwatch.models import Role, User
from tests.cases.conftest import PASSWORD


def test_access_to_cases_needs_a_second_administrator(review: Review) -> None:
    review.access_four_eyes = True
    admin = review.bootstrap_admin("admin", "管理员", PASSWORD)
    second = review.create_user(admin, "admin2", "第二管理员", Role.ADMIN, PASSWORD)
    assert not second.active  # one administrator cannot make a helper on their own
    [made] = review.pending_access(admin)
    with pytest.raises(FourEyes):
        review.decide_access(admin, made["id"], True)
    # the second person at the server's console adds one; their password is the console's
    console = review.bootstrap_admin("admin3", "第三管理员", PASSWORD, console_user="ops")
    assert console.must_change_password
    review.decide_access(console, made["id"], True)
    second = _user(review, "admin2")
    assert second.active and second.must_change_password  # a password someone else chose
    review.reset_password(admin, second.id, "Temp-Pass-2026!")
    [about_them] = review.pending_access(admin)
    with pytest.raises(FourEyes):  # nobody approves a request that concerns themselves
        review.decide_access(second, about_them["id"], True)
    review.decide_access(console, about_them["id"], False)
    liaison = review.create_user(admin, "liaison1", "联络员", Role.LIAISON, PASSWORD, ["B001"])
    assert not liaison.active
    with pytest.raises(LoginFailed):
        review.login("liaison1", PASSWORD)
    [request] = review.pending_access(admin)
    assert (request["user"], request["kind"], request["requested_by"]) == (
        "liaison1",
        "create",
        "admin",
    )
    with pytest.raises(FourEyes):
        review.decide_access(admin, request["id"], True)
    review.decide_access(second, request["id"], True)
    assert review.login("liaison1", PASSWORD)[0].active

    # more branches wait; fewer act at once
    review.set_branches(admin, liaison.id, ["B001", "B002"])
    assert _user(review, "liaison1").branches == {"B001"}
    [wider] = review.pending_access(second)
    review.decide_access(second, wider["id"], True)
    assert _user(review, "liaison1").branches == {"B001", "B002"}
    review.set_branches(admin, liaison.id, ["B002"])
    assert _user(review, "liaison1").branches == {"B002"} and review.pending_access(admin) == []

    # deactivating acts at once; activating again waits, and a rejection leaves it off
    review.set_active(admin, liaison.id, False)
    assert not _user(review, "liaison1").active
    review.set_active(admin, liaison.id, True)
    [again] = review.pending_access(admin)
    review.decide_access(second, again["id"], False)
    assert not _user(review, "liaison1").active

    # a password reset of an approver waits too: one administrator cannot log in as them
    approver = review.create_user(second, "approver1", "审批人", Role.APPROVER, PASSWORD)
    review.decide_access(admin, review.pending_access(admin)[0]["id"], True)
    review.reset_password(admin, approver.id, "Temp-Pass-2026!")
    with pytest.raises(LoginFailed):
        review.login("approver1", "Temp-Pass-2026!")
    [reset] = review.pending_access(second)
    review.decide_access(second, reset["id"], True)
    user, _, _ = review.login("approver1", "Temp-Pass-2026!")
    assert user.must_change_password and user.password_reset_by == "admin"
    assert verify(review.store).ok  # every change sealed


def _user(review: Review, username: str) -> User:
    with review.store.read() as con:
        admin = repo.user_by_name(con, "admin")
    assert admin is not None
    [found] = [u for u in review.users(admin) if u.username == username]
    return found
