"""Typed domain errors. Each carries a location so the CLI can say exactly what is wrong where."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One bad value: where it is and what was expected."""

    file: str
    row: int | None  # line in a CSV / row in a sheet (header = 1); None for whole-file problems
    column: str
    value: str
    expected: str

    def as_row(self) -> list[str]:
        return [self.file, "" if self.row is None else str(self.row), self.column, self.value, self.expected]


class JxError(Exception):
    """Base of every error caused by the user's input (exit code 2)."""


class CriteriaError(JxError):
    """A criteria file is unreadable or breaks the scheme's model."""

    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = problems  # (path inside the file, message)
        lines = "; ".join(f"{p}: {m}" for p, m in problems)
        super().__init__(f"{file}: {lines}")


class InputError(JxError):
    """The reported data failed validation; `problems` lists every one found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the input data")


class UsageError(JxError):
    """Options or files given on the command line do not fit (wrong year, missing folder, bad scenario)."""
