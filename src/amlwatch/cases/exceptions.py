"""Errors of the case store and the review. The web layer maps each review error to one
HTTP answer; a locked or unreachable store is transient (the flow retries it), the rest is
terminal."""

from __future__ import annotations


class CaseError(Exception):
    """Base of review errors; the message is shown to the user (Chinese first)."""

    retryable = False


class CaseStoreError(Exception):
    """The case store itself could not be used."""

    retryable = False


class CaseStoreLocked(CaseStoreError):
    """Another writer holds the store (SQLite's write lock) past the wait; try again later."""

    retryable = True


class CaseStoreUnavailable(CaseStoreError):
    """The store cannot be reached or opened (server down, file not openable, disk I/O);
    try again later."""

    retryable = True


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
