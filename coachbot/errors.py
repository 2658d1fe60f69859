"""Errors raised by coachbot.

CoachbotError                 root: catch this to catch everything coachbot raises
├── DataError (ValueError)    a data file is wrong; str() is "file:line: path: message"
│   └── DataErrors            several DataErrors found in one pass (``.errors``)
└── UsageError (ValueError)   a caller passed something coachbot cannot use
"""

from __future__ import annotations

from collections.abc import Sequence


class CoachbotError(Exception):
    """Root of every error coachbot raises on purpose."""


class DataError(CoachbotError, ValueError):
    """One problem in a data file, located by file, line and field path."""

    def __init__(self, file: str, line: int | None, path: str, message: str) -> None:
        self.file = file
        self.line = line
        self.path = path
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class DataErrors(DataError):
    """Every problem found in one validation pass; the first one is the headline."""

    def __init__(self, errors: Sequence[DataError]) -> None:
        if not errors:
            raise ValueError("DataErrors needs at least one error")
        self.errors = tuple(errors)
        first = self.errors[0]
        super().__init__(first.file, first.line, first.path, first.message)

    def __str__(self) -> str:
        head = super().__str__()
        more = len(self.errors) - 1
        return f"{head} (and {more} more problem{'s' if more > 1 else ''})" if more else head


class UsageError(CoachbotError, ValueError):
    """The caller asked for something coachbot cannot do (bad option, bad state)."""
