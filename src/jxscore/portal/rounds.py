"""Rounds and submissions: the office opens a year, each city uploads its workbook until the office locks it.

Every check is the intake's own (`jxscore.io.intake`): the portal writes the uploaded bytes to a file it
names itself in a fresh temporary folder and asks the same functions `jxscore validate` / `collect` use.
Refusals are audited in the caller's transaction before they are raised: a caller that shows the problems
(the web page) returns normally, so the audit row is committed with the refusal.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jxscore.core.criteria import Criteria
from jxscore.core.problems import Code, JxError, Problem
from jxscore.portal import audit, files
from jxscore.portal.models import Round, Submission, User

MAX_UPLOAD = 10 * 2**20  # one uploaded file; the same figure as jxscore.web.security.MAX_UPLOAD (tested)
ZIP_MAGIC = (b"PK\x03\x04",)  # an .xlsx is a zip archive; an empty archive is no workbook either
CRITERIA_NAME = "criteria.toml"  # a round's own criteria file, written under this server-made name


class PortalError(JxError):
    """An office or city action refused (round exists or is locked, not everyone submitted, bad upload)."""


class UploadRefused(PortalError):
    """An upload refused before it was checked (too large, not an .xlsx, empty, locked round)."""

    def __init__(self, problems, too_large: bool = False):
        super().__init__(problems)
        self.too_large = too_large


STATES = {"none": "未提交", "errors": "有错误", "ok": "已提交", "locked": "已锁定"}


@dataclass
class CityState:
    """One city's place in a round, as the office's dashboard shows it."""

    city: str
    state: str  # none | errors | ok | locked (keys of STATES)
    latest: Submission | None
    problems: list[dict]

    @property
    def label(self) -> str:
        return STATES[self.state]


# ------------------------------------------------------------------ criteria and files

def bundled_criteria_bytes() -> bytes:
    from jxscore.resources import default_criteria_path

    return default_criteria_path().read_bytes()


def criteria_path_in(folder: Path, data: bytes) -> Path | None:
    """A round's criteria as `RunOptions.criteria` takes them for a run in `folder`: None for the bundled
    scheme (so the manifest names it as `jxscore score` would), else the bytes written to folder/criteria.toml."""
    if data == bundled_criteria_bytes():
        return None
    path = folder / CRITERIA_NAME
    path.write_bytes(data)
    return path


@contextmanager
def criteria_of(s: Session, rnd: Round) -> Iterator[tuple[Criteria, Path | None, Path]]:
    """The round's criteria, the path to give `RunOptions.criteria` (None = the bundled scheme, so a
    publication's manifest names it as `jxscore score` would) and the file to hash for `_meta` checks."""
    from jxscore.core.criteria import load_criteria
    from jxscore.resources import default_criteria_path

    data = rnd.criteria_file.data
    if data == bundled_criteria_bytes():
        yield load_criteria(default_criteria_path()), None, default_criteria_path()
        return
    with tempfile.TemporaryDirectory(prefix="jxscore-crit-") as d:
        p = Path(d) / CRITERIA_NAME
        p.write_bytes(data)
        yield load_criteria(p), p, p


def upload_problems(name: str, data: bytes, what: str = "xlsx") -> list[Problem]:
    """Why an uploaded file is refused before it is read: empty, too large, not an .xlsx (name and bytes)."""
    shown = Path(name or "").name[:100]
    if not data:
        return [Problem.make(Code.UPLOAD_EMPTY, file=shown)]
    if len(data) > MAX_UPLOAD:
        return [Problem.make(Code.UPLOAD_TOO_LARGE, file=shown, value=f"{len(data) / 2**20:.1f} MB", limit="10 MB")]
    if what == "xlsx" and (not shown.lower().endswith(".xlsx") or not data.startswith(ZIP_MAGIC)):
        return [Problem.make(Code.UPLOAD_NOT_XLSX, file=shown)]
    return []


def _refuse(s: Session, now: datetime, by: User | None, target: str, problems: list[Problem], data: bytes,
            ip: str) -> UploadRefused:
    audit.record(s, now, audit.Action.UPLOAD_REFUSED, user=by, user_name="(cli)", target=target,
                 sha256=files.sha256(data) if data else "", detail=",".join(p.code.value for p in problems), ip=ip)
    return UploadRefused(problems, too_large=any(p.code == Code.UPLOAD_TOO_LARGE for p in problems))


# ------------------------------------------------------------------ rounds

def hold(s: Session, rnd: Round) -> None:
    """Take the round's row lock for the rest of the transaction (PostgreSQL: SELECT … FOR UPDATE), so two
    clicks at once on 发布, 重新计分 or a stage are checked one after the other, not both against the same state.
    SQLite has one writer at a time already."""
    s.execute(select(Round.id).where(Round.id == rnd.id).with_for_update())


def get_round(s: Session, year: int) -> Round | None:
    return s.scalar(select(Round).where(Round.year == year))


def rounds(s: Session) -> list[Round]:
    return list(s.scalars(select(Round).order_by(Round.year.desc())))


def check_office_book(path: Path, year: int, c: Criteria, crit_file: Path | None) -> list[Problem]:
    """office.xlsx read and checked as `collect` reads it (this year's office book, its sheets and codes)."""
    from jxscore.core.inputs import check_year
    from jxscore.core.tables import table_specs
    from jxscore.io import intake

    check_year(year, c)
    problems: list[Problem] = []
    book = intake.read_book(path, problems)
    if book is None:
        return problems
    if not intake._meta_ok(book, "office", year, c, files.sha256(crit_file.read_bytes()) if crit_file else "",
                           problems, []):
        return problems
    intake._office_book(book, year, c, intake.Builder(table_specs(c)), problems)
    return problems


def open_round(s: Session, now: datetime, year: int, criteria_bytes: bytes | None, office_bytes: bytes,
               by: User | None, *, office_name: str = "office.xlsx", ip: str = "") -> Round:
    """Open `year` with its criteria (None: the bundled scheme) and office.xlsx; one round per year."""
    from jxscore.core.criteria import load_criteria

    problems: list[Problem] = []
    if get_round(s, year) is not None:
        raise PortalError(Problem.make(Code.ROUND_EXISTS, value=year))
    crit_bytes = criteria_bytes if criteria_bytes else bundled_criteria_bytes()
    if criteria_bytes is not None and len(criteria_bytes) > MAX_UPLOAD:
        problems += upload_problems(CRITERIA_NAME, criteria_bytes, what="toml")
    if not office_bytes:
        problems.append(Problem.make(Code.OFFICE_BOOK_NEEDED, year=year))
    else:
        problems += upload_problems(office_name, office_bytes)
    if problems:
        raise PortalError(problems)
    with tempfile.TemporaryDirectory(prefix="jxscore-round-") as d:
        cp = Path(d) / CRITERIA_NAME
        cp.write_bytes(crit_bytes)
        crit = load_criteria(cp)  # CriteriaError lists the file's problems
        op = Path(d) / "office.xlsx"
        op.write_bytes(office_bytes)
        problems = check_office_book(op, year, crit, cp)
    if problems:
        raise PortalError(problems)
    cf = files.put(s, crit_bytes, files.media_for(CRITERIA_NAME), now)
    of = files.put(s, office_bytes, files.media_for("office.xlsx"), now)
    rnd = Round(year=year, state="open", criteria_file_id=cf.id, office_file_id=of.id,
                opened_by=by.id if by else None, opened_at=now)
    s.add(rnd)
    s.flush()
    audit.record(s, now, audit.Action.ROUND_OPENED, user=by, user_name="(cli)", target=str(year), sha256=of.sha256,
                 detail=f"criteria {cf.sha256}", ip=ip)
    return rnd


def lock(s: Session, now: datetime, rnd: Round, by: User | None, ip: str = "") -> Round:
    """No more submissions: what each city sent last is what is scored."""
    if rnd.state == "locked":
        raise PortalError(Problem.make(Code.ROUND_LOCKED, value=rnd.year))
    rnd.state, rnd.locked_at, rnd.locked_by = "locked", now, by.id if by else None
    audit.record(s, now, audit.Action.LOCK, user=by, user_name="(cli)", target=str(rnd.year), ip=ip)
    return rnd


# ------------------------------------------------------------------ submissions

def submit(s: Session, now: datetime, rnd: Round, city: str, upload_name: str, data: bytes, by: User,
           ip: str = "") -> Submission:
    """Check a city's workbook at once; stored (status ok) when clean, else the problems (status errors).

    Raises UploadRefused (audited) when the round is locked or the file is empty, too large or no .xlsx."""
    from jxscore.i18n import problem_record

    target = f"{rnd.year} {city}"
    if rnd.state == "locked":
        raise _refuse(s, now, by, target, [Problem.make(Code.ROUND_LOCKED, value=rnd.year)], data, ip)
    refused = upload_problems(upload_name, data)
    if refused:
        raise _refuse(s, now, by, target, refused, data, ip)
    problems, warnings = check_city_upload(s, rnd, city, data)
    digest = files.sha256(data)
    sub = Submission(round_id=rnd.id, city=city, sha256=digest, size=len(data), submitted_by=by.id, submitted_at=now,
                     status="errors" if problems else "ok",
                     problems=json.dumps([problem_record(p, "zh") for p in problems + warnings], ensure_ascii=False))
    if not problems:
        sub.file_id = files.put(s, data, files.media_for(".xlsx"), now).id
    s.add(sub)
    s.flush()
    audit.record(s, now, audit.Action.UPLOAD, user=by, target=target, sha256=digest,
                 detail="ok" if not problems else f"errors {len(problems)}", ip=ip)
    return sub


def check_city_upload(s: Session, rnd: Round, city: str, data: bytes) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of `data` as `city`'s workbook for the round: the intake's own checks, on a file
    the server names, and the book's `_meta` city must be `city`."""
    from jxscore.core.problems import InputError
    from jxscore.io.intake import check_city_book

    with criteria_of(s, rnd) as (crit, _, crit_file):
        slug = {e.name: e.slug for e in crit.entities}.get(city, "city")
        warnings: list[Problem] = []
        with tempfile.TemporaryDirectory(prefix="jxscore-up-") as d:
            path = Path(d) / f"{slug}.xlsx"  # a name the server makes, never the upload's
            path.write_bytes(data)
            try:
                check = check_city_book(path, rnd.year, crit, crit_file)
                problems = []
                warnings = check.warnings
                if check.city != city:
                    problems = [Problem.make(Code.WRONG_CITY_BOOK, file=path.name, sheet="_meta", value=check.city,
                                             city=city)]
            except InputError as e:
                problems = list(e.problems)
                others = sorted({p.city for p in problems if p.city and p.city != city})
                if others:
                    problems.insert(0, Problem.make(Code.WRONG_CITY_BOOK, file=path.name, sheet="_meta",
                                                    value=others[0], city=city))
    return problems, warnings


def latest_submissions(s: Session, rnd: Round) -> dict[str, Submission]:
    """Each city's last upload (the one that counts)."""
    last = (select(Submission.city, func.max(Submission.id).label("id")).where(Submission.round_id == rnd.id)
            .group_by(Submission.city).subquery())
    subs = s.scalars(select(Submission).join(last, Submission.id == last.c.id))
    return {x.city: x for x in subs}


def submissions_of(s: Session, rnd: Round, city: str) -> list[Submission]:
    return list(s.scalars(select(Submission).where(Submission.round_id == rnd.id, Submission.city == city)
                          .order_by(Submission.id.desc())))


def city_states(s: Session, rnd: Round, cities: list[str] | None = None) -> list[CityState]:
    """Every city of the round's scheme (or `cities`) in the scheme's order, with its latest upload."""
    if cities is None:
        with criteria_of(s, rnd) as (crit, _, _):
            cities = crit.entity_names
    latest = latest_submissions(s, rnd)
    out = []
    for city in cities:
        sub = latest.get(city)
        if sub is None:
            state = "none"
        elif sub.status != "ok":
            state = "errors"
        else:
            state = "locked" if rnd.state == "locked" else "ok"
        out.append(CityState(city, state, sub, json.loads(sub.problems) if sub else []))
    return out
