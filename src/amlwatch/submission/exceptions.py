"""Errors of the submission stage. An invalid message is terminal: retrying writes the same."""

from __future__ import annotations

from collections.abc import Sequence

from amlwatch.submission.structure import Problem


class SubmissionError(Exception):
    """Something about a regulatory submission is wrong."""

    retryable = False


class InvalidMessage(SubmissionError):
    """A message fails the validator; nothing was written."""

    def __init__(self, name: str, problems: Sequence[Problem]) -> None:
        self.name = name
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:20])
        more = f"\n  … and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(
            f"{name}: {len(self.problems)} problem(s), file not written:\n{shown}{more}"
        )


class UnknownFileName(SubmissionError):
    """A file name does not follow the spec's naming rules (§3.1, §7.1, chapter 8)."""
