"""Errors of the review workflow. The web layer maps each to one HTTP answer."""

from __future__ import annotations


class CaseError(Exception):
    """Base of review errors; the message is shown to the user (Chinese first)."""


class NotFound(CaseError):
    """No such case, user or snooze, or not one the user may see (the same answer, so ids
    cannot be probed)."""


class Forbidden(CaseError):
    """The user's role or branches do not allow this."""


class WrongState(CaseError):
    """The case is not in a state that allows this."""


class FourEyes(CaseError):
    """The same person may not act at two review levels of one case."""


class InvalidInput(CaseError):
    """A required field is missing or a value is not allowed."""


class LoginFailed(CaseError):
    """Wrong user name or password, an inactive user, or a locked account."""
