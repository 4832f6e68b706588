"""One problem type for everything a user can get wrong: data, criteria file, scenario, options.

A problem is data, not text: a stable code from the catalogue below, a severity, where it is
(file, sheet, row, column, cell, city, path inside a criteria or scenario file), the value found
and the parameters of its message. Words are made at the edge from the message catalogue
(`jxscore.i18n`), in Chinese by default — engine code never writes a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Code(StrEnum):
    """Stable problem codes (their messages live in the catalogue, one entry per code)."""

    # files, sheets, tables
    DATA_PATH = "data-path"
    FILE_MISSING = "file-missing"
    FILE_UNREADABLE = "file-unreadable"
    ENCODING = "encoding"
    CSV_SYNTAX = "csv-syntax"
    WORKBOOK_UNREADABLE = "workbook-unreadable"
    SHEET_MISSING = "sheet-missing"
    EMPTY_TABLE = "empty-table"
    UNKNOWN_COLUMN = "unknown-column"
    DUPLICATE_COLUMN = "duplicate-column"
    MISSING_COLUMN = "missing-column"
    EXTRA_CELL = "extra-cell"
    # cells
    NOT_A_NUMBER = "not-a-number"
    FORMULA = "formula"
    DATE_CELL = "date-cell"
    PERCENT_NOT_ALLOWED = "percent-not-allowed"
    AMBIGUOUS_SEPARATOR = "ambiguous-separator"
    MISSING_VALUE = "missing-value"
    OUT_OF_RANGE = "out-of-range"
    NOT_WHOLE = "not-whole"
    NOT_A_FLAG = "not-a-flag"
    NOT_ABOVE = "not-above"
    BAD_YEAR = "bad-year"
    BAD_DATE = "bad-date"
    NOT_A_CHOICE = "not-a-choice"
    UNKNOWN_CITY = "unknown-city"
    DUPLICATE_KEY = "duplicate-key"
    MISSING_ROW = "missing-row"
    NO_APPLICABLE = "no-applicable-indicator"
    TOO_FEW_EXPERTS = "too-few-experts"
    VALUE_IGNORED_PANEL = "value-ignored-panel"
    # reporting workbooks (jxscore collect)
    HEADER_CHANGED = "header-changed"
    WORKBOOK_NOT_OURS = "workbook-not-ours"
    WORKBOOK_WRONG_YEAR = "workbook-wrong-year"
    WORKBOOK_WRONG_SCHEME = "workbook-wrong-scheme"
    WORKBOOK_OTHER_CRITERIA = "workbook-other-criteria"
    WORKBOOK_WRONG_CITY = "workbook-wrong-city"
    WORKBOOK_DUPLICATE_CITY = "workbook-duplicate-city"
    WORKBOOK_MISSING = "workbook-missing"
    STATS_DIFFER = "stats-differ"
    # warnings about data
    ROW_IGNORED_FUTURE = "row-ignored-future"
    VALUE_IGNORED_NA = "value-ignored-not-applicable"
    MISSING_SCORED_ZERO = "missing-scored-zero"
    MISSING_TAKEN_ZERO = "missing-taken-zero"
    # criteria files
    CRITERIA_FILE = "criteria-file"
    CRITERIA_SYNTAX = "criteria-syntax"
    CRITERIA_FIELD = "criteria-field"
    CRITERIA_DUPLICATE = "criteria-duplicate"
    CRITERIA_REFERENCE = "criteria-reference"
    CRITERIA_INCONSISTENT = "criteria-inconsistent"
    RULE_PARAMETER = "rule-parameter"
    # scenarios
    SCENARIO_FILE = "scenario-file"
    SCENARIO_SYNTAX = "scenario-syntax"
    SCENARIO_KEY = "scenario-key"
    SCENARIO_VALUE = "scenario-value"
    SCENARIO_CODE = "scenario-code"
    SCENARIO_EMPTY = "scenario-empty"
    # command-line options, environment
    YEAR_OUT_OF_SCHEME = "year-out-of-scheme"
    NOTHING_TO_AUDIT = "nothing-to-audit"
    BAD_OPTION = "bad-option"
    OUT_PATH = "out-path"
    FONT_MISSING = "font-missing"
    MAP_MISSING = "map-missing"
    URL_REFUSED = "url-refused"
    # files past the reading limits (jxscore.io.readers), a workbook's sheets ambiguous
    WORKBOOK_TOO_LARGE = "workbook-too-large"
    TABLE_TOO_LARGE = "table-too-large"
    CELL_TOO_LARGE = "cell-too-large"
    DUPLICATE_SHEET = "duplicate-sheet"
    # two scored runs compared (jxscore diff)
    RUN_FOLDER = "run-folder"
    MANIFEST_INVALID = "manifest-invalid"
    DIFF_YEAR = "diff-year"
    DIFF_CRITERIA = "diff-criteria"
    RUN_ROW_MISSING = "run-row-missing"
    # signing (jxscore report --sign-*) and verify-pdf
    SIGN_KEY = "sign-key"
    SIGN_PASS_ENV = "sign-pass-env"
    SIGN_PASSPHRASE = "sign-passphrase"
    SIGN_PASSPHRASE_MISSING = "sign-passphrase-missing"
    SIGN_CERT = "sign-cert"
    SIGN_CERT_MISMATCH = "sign-cert-mismatch"
    SIGN_CERT_EXPIRED = "sign-cert-expired"
    SIGN_TSA = "sign-tsa"
    PDF_UNREADABLE = "pdf-unreadable"
    # the portal's database, accounts and uploads (jxscore.portal)
    DB_URL = "db-url"
    DB_UNREACHABLE = "db-unreachable"
    DB_OUTDATED = "db-outdated"
    USER_EXISTS = "user-exists"
    USER_UNKNOWN = "user-unknown"
    USER_ROLE = "user-role"
    USER_NAME = "user-name"
    PASSWORD_EMPTY = "password-empty"
    UPLOAD_TOO_LARGE = "upload-too-large"
    UPLOAD_NOT_XLSX = "upload-not-xlsx"
    UPLOAD_EMPTY = "upload-empty"
    # the review cycle (jxscore.portal.review): stages, 公示 window, objections and answers
    STAGE_ORDER = "stage-order"
    STAGE_NOT_READY = "stage-not-ready"
    WINDOW_PAST = "window-past"
    WINDOW_STILL_OPEN = "window-still-open"
    OBJECTIONS_OPEN = "objections-open"
    VERSION_IN_REVIEW = "version-in-review"
    WINDOW_CLOSED = "window-closed"
    OBJECTION_TARGET = "objection-target"
    OBJECTION_TEXT = "objection-text"
    EVIDENCE_COUNT = "evidence-count"
    EVIDENCE_TYPE = "evidence-type"
    ANSWER_STAGE = "answer-stage"
    OBJECTION_ANSWERED = "objection-answered"
    REASON_REQUIRED = "reason-required"
    CORRECTION_REQUIRED = "correction-required"
    CORRECTION_CITY = "correction-city"
    NOTHING_TO_RESCORE = "nothing-to-rescore"
    RESCORE_PENDING = "rescore-pending"
    ANNOUNCING = "announcing"
    WINDOW_DATE = "window-date"
    # the portal's rounds, submissions and publications (jxscore.portal.rounds, .publish)
    ROUND_EXISTS = "round-exists"
    ROUND_UNKNOWN = "round-unknown"
    ROUND_LOCKED = "round-locked"
    ROUND_NOT_LOCKED = "round-not-locked"
    NOT_ALL_SUBMITTED = "not-all-submitted"
    WRONG_CITY_BOOK = "wrong-city-book"
    OFFICE_BOOK_NEEDED = "office-book-needed"


WARNING_CODES = frozenset({Code.ROW_IGNORED_FUTURE, Code.VALUE_IGNORED_NA, Code.MISSING_SCORED_ZERO,
                           Code.MISSING_TAKEN_ZERO, Code.WORKBOOK_OTHER_CRITERIA, Code.STATS_DIFFER,
                           Code.VALUE_IGNORED_PANEL})


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning), located as precisely as the source allows."""

    code: Code
    file: str = ""  # file name as the user gave it (energy.csv, data.xlsx, jiangxi.toml)
    sheet: str = ""  # sheet of a workbook, or the table a CSV file holds
    row: int | None = None  # line of a CSV file / row of a sheet (header = 1)
    column: str = ""
    cell: str = ""  # spreadsheet reference (C5) when the source is a workbook
    city: str = ""
    path: str = ""  # inside a criteria or scenario file: indicators[3].points
    value: str = ""
    args: tuple[tuple[str, str], ...] = ()  # message parameters
    severity: Severity = field(default=Severity.ERROR)

    @staticmethod
    def make(code: Code, *, severity: Severity | None = None, **kw) -> Problem:
        """Build a problem; keyword arguments that are not location fields become message parameters."""
        loc = {k: kw.pop(k) for k in ("file", "sheet", "row", "column", "cell", "city", "path", "value") if k in kw}
        if "value" in loc:
            loc["value"] = "" if loc["value"] is None else str(loc["value"])
        sev = severity or (Severity.WARNING if code in WARNING_CODES else Severity.ERROR)
        return Problem(code, **loc, args=tuple(sorted((k, str(v)) for k, v in kw.items())), severity=sev)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.args)

    def sort_key(self) -> tuple:
        return (self.file, self.sheet, self.row or 0, self.column, self.code.value, self.path, self.value)


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Deterministic order: by file, sheet, row, column, then code; duplicates dropped."""
    return sorted(set(problems), key=Problem.sort_key)


class JxError(Exception):
    """Base of every error caused by the user's input (exit code 2); carries its problems."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = sorted_problems([problems] if isinstance(problems, Problem) else problems)
        super().__init__(f"{len(self.problems)} problem(s): " + ", ".join(p.code.value for p in self.problems[:5]))


class InputError(JxError):
    """The reported data failed validation; `problems` lists every one found."""


class CriteriaError(JxError):
    """A criteria file is unreadable or breaks the scheme's model."""


class ScenarioError(JxError):
    """A what-if scenario (file or --set) is unusable."""


class UsageError(JxError):
    """Options or files given on the command line do not fit (wrong year, missing folder)."""
