"""Errors of list screening. A malformed list file is terminal: nothing of it is imported and
the list's previous version stays in force."""

from __future__ import annotations


class ScreeningError(Exception):
    """Base of screening errors."""

    retryable = False


class ListFileRejected(ScreeningError):
    """A list file that cannot be imported, with where and why (line 0: the file as a whole)."""

    def __init__(self, file: str, line: int, reason: str, column: str | None = None) -> None:
        where = f"{file}:{line}" if line else file
        if column:
            where += f" [{column}]"
        super().__init__(f"{where}: 名单文件被拒绝 / list file rejected: {reason}")
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
