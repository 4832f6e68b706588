"""Publications: a round's results scored and rendered by `service.report`, stored as documents.

Document kinds (the contract every reader of a publication relies on): `scorecard` (city = the city's name,
its PDF), `summary` (summary.pdf), `scores`, `ledger`, `verification` (the CSVs), `manifest`
(manifest.json), `results` (results.xlsx), `sha256sums`, and `input:<file>` for each input table scored.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from jxscore.core.problems import Code, JxError, Problem
from jxscore.portal import audit, files
from jxscore.portal.clock import Clock
from jxscore.portal.db import transaction
from jxscore.portal.models import Document, Publication, Round, User
from jxscore.portal.rounds import (
    PortalError,
    bundled_criteria_bytes,
    criteria_of,
    criteria_path_in,
    get_round,
    latest_submissions,
)

log = logging.getLogger("jxscore.portal")
DATA_NAME = "data"  # the collected folder's name: part of the manifest's parameters, so of the input hash

OUTPUT_KINDS = {"summary.pdf": "summary", "scores.csv": "scores", "ledger.csv": "ledger",
                "verification.csv": "verification", "manifest.json": "manifest", "results.xlsx": "results",
                "SHA256SUMS": "sha256sums"}


def store_outputs(s: Session, pub: Publication, out: Path, data: Path | None, slug_to_city: dict[str, str],
                  now: datetime) -> list[Document]:
    """Every file of a `jxscore report` folder `out` (and the input tables in `data`) as the publication's."""
    docs = []

    def add(kind: str, path: Path, city: str = "") -> None:
        f = files.put(s, path.read_bytes(), files.media_for(path.name), now)
        d = Document(publication_id=pub.id, kind=kind, city=city, file_id=f.id)
        s.add(d)
        docs.append(d)

    for name, kind in OUTPUT_KINDS.items():
        if (out / name).is_file():
            add(kind, out / name)
    for pdf in sorted((out / "scorecards").glob("*.pdf")):
        if pdf.stem in slug_to_city:
            add("scorecard", pdf, slug_to_city[pdf.stem])
    if data is not None and data.is_dir():
        for p in sorted(data.iterdir()):
            if p.is_file() and p.suffix.lower() in (".csv", ".xlsx"):
                add(f"input:{p.name}", p)
    s.flush()
    return docs


# ------------------------------------------------------------------ publishing a round

def publications(s: Session, rnd: Round) -> list[Publication]:
    return list(s.scalars(select(Publication).where(Publication.round_id == rnd.id)
                          .order_by(Publication.version.desc())))


def get_publication(s: Session, rnd: Round, version: int, revision: int | None = None) -> Publication | None:
    """A version's publication: the given revision, or its latest (re-scored during 复查)."""
    q = select(Publication).where(Publication.round_id == rnd.id, Publication.version == version)
    if revision is not None:
        q = q.where(Publication.revision == revision)
    return s.scalar(q.order_by(Publication.revision.desc()).limit(1))


def _new_publication(s: Session, now: datetime, rnd: Round, by: User | None, ip: str = "",
                     version: int | None = None) -> Publication:
    """The next version of the round (revision 1), or with `version` the next revision of that version."""
    if version is None:
        version = (s.scalar(select(func.max(Publication.version)).where(Publication.round_id == rnd.id)) or 0) + 1
        revision = 1
    else:
        revision = (s.scalar(select(func.max(Publication.revision)).where(
            Publication.round_id == rnd.id, Publication.version == version)) or 0) + 1
    pub = Publication(round_id=rnd.id, version=version, revision=revision, status="rendering", done=0, total=0,
                      message="", input_hash="", signed=False, created_by=by.id if by else None, created_at=now)
    s.add(pub)
    s.flush()
    audit.record(s, now, audit.Action.PUBLISH if revision == 1 else audit.Action.RESCORE, user=by,
                 user_name="(cli)", target=f"{rnd.year} v{pub.version}" + (f" r{revision}" if revision > 1 else ""),
                 ip=ip)
    return pub


def start_publication(s: Session, now: datetime, rnd: Round, by: User | None, ip: str = "") -> Publication:
    """A new version (status rendering) of a locked round whose every city submitted a clean workbook; a
    version after the first is a correction after 审定 (review.may_publish_new_version)."""
    from jxscore.portal.review import may_publish_new_version
    from jxscore.portal.rounds import hold

    hold(s, rnd)
    if rnd.state != "locked":
        raise PortalError(Problem.make(Code.ROUND_NOT_LOCKED, value=rnd.year))
    with criteria_of(s, rnd) as (crit, _, _):
        cities = crit.entity_names
    latest = latest_submissions(s, rnd)
    missing = [c for c in cities if c not in latest or latest[c].status != "ok"]
    if missing:
        raise PortalError(Problem.make(Code.NOT_ALL_SUBMITTED, value="、".join(missing)))
    if rnd.office_file_id is None:
        raise PortalError(Problem.make(Code.OFFICE_BOOK_NEEDED, year=rnd.year))
    may_publish_new_version(s, rnd)
    if s.scalar(select(Publication.id).where(Publication.round_id == rnd.id, Publication.status == "rendering")
                .limit(1)) is not None:  # a second click while the first renders: no second version
        raise PortalError(Problem.make(Code.STAGE_NOT_READY, value="公示", why="@why.rendering"))
    return _new_publication(s, now, rnd, by, ip)


def abandon_stale(s: Session, now: datetime) -> int:
    """Publications left `rendering` by a server that stopped: failed (their documents were never stored).

    Called once when a server's publishing worker starts (one server process per database)."""
    stale = list(s.scalars(select(Publication).where(Publication.status == "rendering")))
    for pub in stale:
        pub.status, pub.message, pub.finished_at = "failed", "服务重启，渲染中断：请重新发布。", now
        audit.record(s, now, audit.Action.PUBLISH_FAILED, user_name="(server)",
                     target=f"{pub.round.year} v{pub.version}", detail="interrupted")
    return len(stale)


def _problems_text(e: JxError) -> str:
    from jxscore.i18n import message

    return "\n".join(" › ".join(x for x in (p.file, p.sheet, p.cell, p.city) if x) + ("：" if p.file or p.city else "")
                     + message(p, "zh") for p in e.problems)


def _materialise(s: Session, rnd: Round, folder: Path) -> Path:
    """The round's clean submissions as <slug>.xlsx and office.xlsx, under names the server makes."""
    with criteria_of(s, rnd) as (crit, _, _):
        slug = {e.name: e.slug for e in crit.entities}
    returns = folder / "returns"
    returns.mkdir()
    for city, sub in latest_submissions(s, rnd).items():
        if sub.status == "ok" and city in slug:
            (returns / f"{slug[city]}.xlsx").write_bytes(sub_file(s, sub))
    (returns / "office.xlsx").write_bytes(rnd.office_file.data)
    return returns


def sub_file(s: Session, sub) -> bytes:
    from jxscore.portal.models import StoredFile

    return s.get(StoredFile, sub.file_id).data


def collected_data(factory: sessionmaker[Session], round_id: int, folder: Path) -> tuple[Path, Path | None]:
    """The round's submissions collected (`intake.collect` → `write_collected`) into folder/data; returns
    the data folder and the criteria path for RunOptions (None = bundled). Raises InputError on problems."""
    from jxscore.io import intake

    with transaction(factory) as s:
        rnd = s.get(Round, round_id)
        returns = _materialise(s, rnd, folder)
        crit_bytes = rnd.criteria_file.data
        year = rnd.year
    crit_path = criteria_path_in(folder, crit_bytes)
    from jxscore.core.criteria import load_criteria
    from jxscore.resources import default_criteria_path

    crit = load_criteria(crit_path or default_criteria_path())
    col = intake.collect(year, returns, crit, crit_path or default_criteria_path())
    data = folder / DATA_NAME
    data.mkdir()
    intake.write_collected(col, crit, data)
    return data, crit_path


def preview_run(factory: sessionmaker[Session], round_id: int):
    """A locked round's submissions collected and scored (`service.score`): what publishing would publish."""
    from jxscore import service

    with transaction(factory) as s:
        year = s.get(Round, round_id).year
    with tempfile.TemporaryDirectory(prefix="jxscore-preview-") as d:
        data, crit_path = collected_data(factory, round_id, Path(d))
        return service.score(service.RunOptions(year, data, crit_path))


Stored = Callable[[Session, Publication, datetime], None]  # runs in the transaction that stores the documents


def provisional_mark(window_end: datetime, version: int):
    """The 公示稿 mark of a version's scorecards: the window's last day (24:00) or its exact end, 北京时间."""
    from datetime import time, timedelta

    from jxscore.portal.clock import CST
    from jxscore.report.announce import Mark

    end = window_end.astimezone(CST)
    shown = (end - timedelta(days=1)).date() if end.time() == time(0, 0) else end
    return Mark("公示稿", shown, version)


def _render(factory: sessionmaker[Session], pub_id: int, clock: Clock, data: Path, crit_path: Path | None,
            work: Path, sign=None, mark=None, on_stored: Stored | None = None) -> Publication:
    from jxscore import service

    with transaction(factory) as s:
        pub = s.get(Publication, pub_id)
        year = pub.round.year
        with criteria_of(s, pub.round) as (crit, _, _):
            slug_to_city = {e.slug: e.name for e in crit.entities}

    def started(n: int) -> None:
        with transaction(factory) as s:
            s.get(Publication, pub_id).total = n

    def done(_name: str) -> None:
        with transaction(factory) as s:
            p = s.get(Publication, pub_id)
            p.done = min(p.done + 1, p.total or p.done + 1)

    out = work / "out"
    run = service.report(service.RunOptions(year, data, crit_path), service.ReportOptions(sign=sign, mark=mark),
                         out, on_start=started, on_done=done)
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    with transaction(factory) as s:
        pub = s.get(Publication, pub_id)
        now = clock()
        docs = store_outputs(s, pub, out, data, slug_to_city, now)
        pub.status, pub.input_hash, pub.finished_at, pub.message = "done", man["input_hash"], now, ""
        pub.signed = bool(run.signed_by)
        pub.done = pub.total = max(pub.total, pub.done)
        audit.record(s, now, audit.Action.PUBLISHED, user_name="(server)", target=f"{year} v{pub.version}"
                     + (f" r{pub.revision}" if pub.revision > 1 else ""),
                     sha256=man["input_hash"], detail=f"{len(docs)} documents" + ("，已签名" if pub.signed else ""))
        if on_stored is not None:
            on_stored(s, pub, now)
    return pub


def _failed(factory: sessionmaker[Session], pub_id: int, clock: Clock, text: str, detail: str) -> Publication:
    with transaction(factory) as s:
        pub = s.get(Publication, pub_id)
        pub.status, pub.message, pub.finished_at = "failed", text, clock()
        audit.record(s, pub.finished_at, audit.Action.PUBLISH_FAILED, user_name="(server)",
                     target=f"{pub.round.year} v{pub.version}", detail=detail[:500])
    return pub


def _guarded(factory, pub_id: int, clock: Clock, job: Callable[[Path], Publication],
             reraise: bool = False) -> Publication:
    """Run `job` in a temporary folder; any failure leaves the publication failed with no documents
    (`reraise`: the JxError is raised again after that, for a command line that lists the problems)."""
    try:
        with tempfile.TemporaryDirectory(prefix="jxscore-pub-") as d:
            return job(Path(d))
    except JxError as e:
        pub = _failed(factory, pub_id, clock, _problems_text(e), ",".join(p.code.value for p in e.problems))
        if reraise:
            raise
        return pub
    except Exception as e:  # noqa: BLE001 - a background job: logged, and the office told, never left rendering
        log.exception("publication %s failed", pub_id)
        return _failed(factory, pub_id, clock, "发布时出现内部错误，已记录：请联系系统管理员。", type(e).__name__)


def run_publication(factory: sessionmaker[Session], pub_id: int, clock: Clock, sign=None,
                    window_end: datetime | None = None) -> Publication:
    """Collect the round's submissions, render with `service.report` (each page marked 公示稿 with the
    window's end) and store every document in one transaction together with the version's entry into 公示
    (status done); on any problem status failed with the message, no documents and no 公示."""

    def job(work: Path) -> Publication:
        with transaction(factory) as s:
            pub = s.get(Publication, pub_id)
            round_id, version = pub.round_id, pub.version
        data, crit_path = collected_data(factory, round_id, work)
        end = _window(clock, window_end)
        return _render(factory, pub_id, clock, data, crit_path, work, sign, mark=provisional_mark(end, version),
                       on_stored=_into_review(end))

    return _guarded(factory, pub_id, clock, job)


def _window(clock: Clock, window_end: datetime | None) -> datetime:
    from jxscore.portal.clock import CST
    from jxscore.portal.review import window_end_for

    return window_end or window_end_for(clock().astimezone(CST).date())


def _into_review(window_end: datetime) -> Stored:
    """Revision 1 of a version enters 公示 when its documents are stored (later revisions stay in 复查)."""

    def stored(s: Session, pub: Publication, now: datetime) -> None:
        from jxscore.portal.review import enter_stage

        if pub.revision == 1:  # entered on behalf of whoever published (the office user; none from the CLI)
            s.flush()
            by = s.get(User, pub.created_by) if pub.created_by else None
            enter_stage(s, now, pub.round, pub.version, "公示", by, window_ends=window_end)

    return stored


def publish_data(factory: sessionmaker[Session], clock: Clock, year: int, data_path: Path, by: User | None = None,
                 sign=None, window_end: datetime | None = None) -> Publication:
    """`jxscore publish`: a collected data folder published as the year's next version, synchronously.

    Opens the year's round (bundled criteria, no office.xlsx: the data is already collected) and locks it
    when needed; the round's own criteria are used when it exists."""
    from jxscore.core.criteria import load_criteria
    from jxscore.core.inputs import check_year
    from jxscore.portal.rounds import lock

    data_path = Path(data_path)
    if not data_path.is_dir():
        raise PortalError(Problem.make(Code.DATA_PATH, file=str(data_path), value=str(data_path)))
    with transaction(factory) as s:
        now = clock()
        rnd = get_round(s, year)
        if rnd is None:
            from jxscore.resources import default_criteria_path

            check_year(year, load_criteria(default_criteria_path()))
            cf = files.put(s, bundled_criteria_bytes(), files.media_for("x.toml"), now)
            rnd = Round(year=year, state="open", criteria_file_id=cf.id, office_file_id=None,
                        opened_by=by.id if by else None, opened_at=now)
            s.add(rnd)
            s.flush()
            audit.record(s, now, audit.Action.ROUND_OPENED, user=by, user_name="(cli)", target=str(year),
                         detail=f"criteria {cf.sha256}; data {data_path.name}")
        if rnd.state != "locked":
            lock(s, now, rnd, by)
        from jxscore.portal.review import may_publish_new_version

        may_publish_new_version(s, rnd)
        pub = _new_publication(s, now, rnd, by)
        version = pub.version
        crit_bytes = rnd.criteria_file.data
        pub_id = pub.id

    def job(work: Path) -> Publication:
        crit_path = criteria_path_in(work, crit_bytes)
        end = _window(clock, window_end)
        return _render(factory, pub_id, clock, data_path, crit_path, work, sign, mark=provisional_mark(end, version),
                       on_stored=_into_review(end))

    return _guarded(factory, pub_id, clock, job, reraise=True)


def documents(s: Session, pub: Publication) -> list[Document]:
    return list(s.scalars(select(Document).where(Document.publication_id == pub.id).order_by(Document.id)))
