"""The review cycle of a round's version: 公示 → 复查 → 审定 → 公告, objections (异议) and their answers.

A stage is entered by a deliberate office act and never left backwards; each entry is an append-only
`StageEvent` (the audit log records it too). Deadlines are read on the clock the caller passes in, in
China Standard Time: a 公示 window ends at 24:00 北京时间 of its last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jxscore.core.problems import Code, Problem
from jxscore.portal import audit, files
from jxscore.portal.clock import CST, window_text
from jxscore.portal.models import STAGES, Objection, ObjectionFile, Publication, Round, StageEvent, User
from jxscore.portal.rounds import MAX_UPLOAD, PortalError

WINDOW_DAYS = 15  # "有异议的，可在15日内申请复查"
MAX_EVIDENCE = 5
EVIDENCE_MAGIC = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
STATUS_NAMES = {"open": "待答复", "accepted": "采纳", "rejected": "不予采纳"}


class ReviewError(PortalError):
    """A stage change, objection or answer refused (out of order, window closed, not the city's own row)."""


def window_end_for(day: date) -> datetime:
    """The end of a 公示 window opened on `day` (北京时间): 24:00 of its 15th day, as an aware datetime."""
    return datetime.combine(day + timedelta(days=WINDOW_DAYS + 1), time(0, 0), tzinfo=CST)


def _last_event(s: Session, round_id: int, version: int) -> StageEvent | None:
    return s.scalar(select(StageEvent).where(StageEvent.round_id == round_id, StageEvent.version == version)
                    .order_by(StageEvent.id.desc()).limit(1))


def stage_of(s: Session, rnd: Round, version: int) -> str | None:
    """The version's current stage, None while it has not been put up for 公示."""
    ev = _last_event(s, rnd.id, version)
    return ev.stage if ev else None


def stages(s: Session, rnd: Round, version: int) -> list[StageEvent]:
    return list(s.scalars(select(StageEvent).where(StageEvent.round_id == rnd.id, StageEvent.version == version)
                          .order_by(StageEvent.id)))


def window_end(s: Session, rnd: Round, version: int) -> datetime | None:
    ev = s.scalar(select(StageEvent).where(StageEvent.round_id == rnd.id, StageEvent.version == version,
                                           StageEvent.stage == "公示"))
    return ev.window_end if ev else None


def latest_revision(s: Session, rnd: Round, version: int) -> Publication | None:
    """The version's newest finished revision: the results a city reads and objects to."""
    return s.scalar(select(Publication).where(Publication.round_id == rnd.id, Publication.version == version,
                                              Publication.status == "done")
                    .order_by(Publication.revision.desc()).limit(1))


def rendering(s: Session, rnd: Round, version: int) -> bool:
    return s.scalar(select(func.count()).select_from(Publication).where(
        Publication.round_id == rnd.id, Publication.version == version, Publication.status == "rendering")) > 0


def open_objections(s: Session, rnd: Round, version: int) -> int:
    return s.scalar(select(func.count()).select_from(Objection).where(
        Objection.round_id == rnd.id, Objection.version == version, Objection.status == "open"))


def enter_stage(s: Session, now: datetime, rnd: Round, version: int, stage: str, by: User | None, *,
                window_ends: datetime | None = None, ip: str = "") -> StageEvent:
    """Move `version` on to `stage`: only the next one, and only when what it needs is done."""
    from jxscore.portal.rounds import hold

    hold(s, rnd)
    if stage not in STAGES:
        raise ReviewError(Problem.make(Code.STAGE_ORDER, value=stage, expected="、".join(STAGES), current="—"))
    cur = stage_of(s, rnd, version)
    want = STAGES[0] if cur is None else (STAGES[STAGES.index(cur) + 1] if cur != STAGES[-1] else None)
    if stage != want:
        raise ReviewError(Problem.make(Code.STAGE_ORDER, value=stage, current=cur or "草稿",
                                       expected=want or "（已是最后一个阶段）"))
    if latest_revision(s, rnd, version) is None or rendering(s, rnd, version):
        raise ReviewError(Problem.make(Code.STAGE_NOT_READY, value=stage, why="@why.rendering"))
    if stage == "公示":
        window_ends = window_ends or window_end_for(now.astimezone(CST).date())
        if window_ends <= now:
            raise ReviewError(Problem.make(Code.WINDOW_PAST, value=window_text(window_ends)))
    elif stage == "复查":
        end = window_end(s, rnd, version)
        if end is not None and now < end:
            raise ReviewError(Problem.make(Code.WINDOW_STILL_OPEN, value=window_text(end)))
    elif stage == "审定":
        n = open_objections(s, rnd, version)
        if n:
            raise ReviewError(Problem.make(Code.OBJECTIONS_OPEN, value=n))
        if waiting := pending(s, rnd, version):  # approving would freeze results without the correction
            raise ReviewError(Problem.make(Code.RESCORE_PENDING, value=len(waiting)))
    ev = StageEvent(round_id=rnd.id, version=version, stage=stage, at=now, user_id=by.id if by else None,
                    window_end=window_ends if stage == "公示" else None)
    s.add(ev)
    audit.record(s, now, audit.Action.STAGE, user=by, user_name="(cli)", target=f"{rnd.year} v{version} {stage}",
                 detail=f"公示期至{window_text(window_ends)}" if stage == "公示" else "", ip=ip)
    s.flush()
    return ev


def may_publish_new_version(s: Session, rnd: Round) -> None:
    """A new version is a correction after 审定 (or the first one); during 公示/复查 corrections go through
    objections and re-scoring of the same version."""
    last = s.scalar(select(func.max(Publication.version)).where(Publication.round_id == rnd.id,
                                                                 Publication.status == "done"))
    if last is None:
        return
    cur = stage_of(s, rnd, last)
    if cur in ("公示", "复查"):
        raise ReviewError(Problem.make(Code.VERSION_IN_REVIEW, value=last, current=cur))


# ------------------------------------------------------------------ objections

@dataclass(frozen=True)
class Target:
    """Something in a city's results it may object to: a ledger row or a verification finding."""

    key: str  # ledger:A1 | finding:P-DUP:XM3601001
    label: str  # as the city reads it


def evidence_problems(name: str, data: bytes) -> list[Problem]:
    shown = (name or "").replace("\\", "/").rsplit("/", 1)[-1][:100]
    if not data:
        return [Problem.make(Code.UPLOAD_EMPTY, file=shown)]
    if len(data) > MAX_UPLOAD:
        return [Problem.make(Code.UPLOAD_TOO_LARGE, file=shown, value=f"{len(data) / 2**20:.1f} MB", limit="10 MB")]
    if not any(data.startswith(m) for m in EVIDENCE_MAGIC):
        return [Problem.make(Code.EVIDENCE_TYPE, file=shown)]
    return []


def _label(name: str) -> str:
    """A display name for an evidence file: its last path part, printable characters only, 100 at most."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')[:100] or "证明材料"


def file_objection(s: Session, now: datetime, rnd: Round, version: int, city: str, target: str,
                   targets: list[Target], text: str, evidence: list[tuple[str, bytes]], by: User,
                   ip: str = "") -> Objection:
    """A city's objection during 公示, before the window's end, to one of its own rows or findings."""
    problems: list[Problem] = []
    if stage_of(s, rnd, version) != "公示":
        raise ReviewError(Problem.make(Code.WINDOW_CLOSED, value=stage_of(s, rnd, version) or "草稿",
                                       end=window_text(window_end(s, rnd, version))))
    end = window_end(s, rnd, version)
    if end is not None and now >= end:
        raise ReviewError(Problem.make(Code.WINDOW_CLOSED, value="公示", end=window_text(end)))
    by_key = {t.key: t for t in targets}
    if target not in by_key:
        problems.append(Problem.make(Code.OBJECTION_TARGET, value=target[:120], city=city))
    text = (text or "").strip()
    if not text:
        problems.append(Problem.make(Code.OBJECTION_TEXT))
    if len(evidence) > MAX_EVIDENCE:
        problems.append(Problem.make(Code.EVIDENCE_COUNT, value=len(evidence), limit=MAX_EVIDENCE))
    for name, data in evidence:
        problems += evidence_problems(name, data)
    if problems:
        raise ReviewError(problems)
    pub = latest_revision(s, rnd, version)
    o = Objection(round_id=rnd.id, version=version, publication_id=pub.id, city=city, target=target,
                  target_label=by_key[target].label[:400], text=text[:5000], status="open", filed_by=by.id,
                  filed_at=now)
    s.add(o)
    s.flush()
    for name, data in evidence:
        kind = next(m for magic, m in EVIDENCE_MAGIC.items() if data.startswith(magic))
        f = files.put(s, data, kind, now)
        s.add(ObjectionFile(objection_id=o.id, file_id=f.id, label=_label(name)))
        audit.record(s, now, audit.Action.EVIDENCE, user=by, target=f"objection {o.id}", sha256=f.sha256, ip=ip)
    audit.record(s, now, audit.Action.OBJECTION, user=by, target=f"{rnd.year} v{version} {city} {target}",
                 detail=f"objection {o.id}", ip=ip)
    s.flush()
    return o


def objections(s: Session, rnd: Round, version: int | None = None, city: str | None = None) -> list[Objection]:
    q = select(Objection).where(Objection.round_id == rnd.id).order_by(Objection.id)
    if version is not None:
        q = q.where(Objection.version == version)
    if city is not None:
        q = q.where(Objection.city == city)
    return list(s.scalars(q))


def get_objection(s: Session, rnd: Round, objection_id: int, city: str | None = None) -> Objection | None:
    """The objection, or None when it is not this round's — or not this city's (the caller answers 404)."""
    o = s.get(Objection, objection_id)
    if o is None or o.round_id != rnd.id or (city is not None and o.city != city):
        return None
    return o


def answerable(s: Session, rnd: Round, o: Objection) -> None:
    """An objection can be answered now: its version is in 复查 and it is still open (ReviewError if not).
    Callers storing a corrected workbook check this first, so a refused answer stores nothing."""
    stage = stage_of(s, rnd, o.version)
    if stage != "复查":
        raise ReviewError(Problem.make(Code.ANSWER_STAGE, value=stage or "草稿"))
    if o.status != "open":
        raise ReviewError(Problem.make(Code.OBJECTION_ANSWERED, value=o.id))


def answer_objection(s: Session, now: datetime, rnd: Round, o: Objection, accept: bool, reason: str,
                     correction_file_id: str | None, by: User, ip: str = "") -> Objection:
    """采纳 (with the corrected workbook already checked and stored) or 不予采纳 (with a reason), during 复查."""
    answerable(s, rnd, o)
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ReviewError(Problem.make(Code.REASON_REQUIRED))
    if accept and correction_file_id is None:
        raise ReviewError(Problem.make(Code.CORRECTION_REQUIRED))
    o.status = "accepted" if accept else "rejected"
    o.answer, o.answered_by, o.answered_at = reason[:5000], by.id, now
    o.correction_file_id = correction_file_id
    audit.record(s, now, audit.Action.ANSWER, user=by, target=f"objection {o.id}",
                 detail=STATUS_NAMES[o.status], ip=ip)
    s.flush()
    return o


# ------------------------------------------------------------------ corrections, re-scoring, announcement

@dataclass(frozen=True)
class Correction:
    """A corrected workbook taken into the round's data: a city's book (a new Submission) or office.xlsx."""

    file_id: str
    sha256: str
    city: str  # the city whose book it is; "" for office.xlsx


def store_correction(s: Session, now: datetime, rnd: Round, name: str, data: bytes, by: User, *,
                     city: str | None = None, ip: str = "") -> Correction:
    """Check a corrected workbook with the intake's own checks and make it the round's data from now on.

    A city book must be `city`'s when given (an objection's city); office.xlsx replaces the round's office
    book (the old file stays stored, and every publication keeps the input tables it was scored on)."""
    import json
    import tempfile
    from pathlib import Path

    from jxscore.i18n import problem_record
    from jxscore.io.intake import is_city_book, read_book
    from jxscore.portal.models import Submission
    from jxscore.portal.rounds import check_city_upload, check_office_book, criteria_of, upload_problems

    problems = upload_problems(name, data)
    if problems:
        raise ReviewError(problems)
    with tempfile.TemporaryDirectory(prefix="jxscore-fix-") as d:
        probe = Path(d) / "book.xlsx"
        probe.write_bytes(data)
        if is_city_book(probe):
            book = read_book(probe, [])
            owner = book.meta.get("city", "") if book else ""
            if city and owner != city:
                raise ReviewError(Problem.make(Code.CORRECTION_CITY, file="book.xlsx", value=owner or "?", city=city))
            problems, _ = check_city_upload(s, rnd, owner, data)
            if problems:
                raise ReviewError(problems)
            f = files.put(s, data, files.media_for(".xlsx"), now)
            s.add(Submission(round_id=rnd.id, city=owner, status="ok", file_id=f.id, sha256=f.sha256, size=f.size,
                             problems=json.dumps([problem_record(p, "zh") for p in problems], ensure_ascii=False),
                             submitted_by=by.id, submitted_at=now))
            target = f"{rnd.year} {owner}"
        else:
            office = Path(d) / "office.xlsx"
            office.write_bytes(data)
            with criteria_of(s, rnd) as (crit, _, crit_file):
                problems = check_office_book(office, rnd.year, crit, crit_file)
            if problems:
                raise ReviewError(problems)
            f = files.put(s, data, files.media_for(".xlsx"), now)
            rnd.office_file_id, owner, target = f.id, "", f"{rnd.year} office.xlsx"
    audit.record(s, now, audit.Action.CORRECTION, user=by, target=target, sha256=f.sha256, ip=ip)
    s.flush()
    return Correction(f.id, f.sha256, owner)


def pending(s: Session, rnd: Round, version: int) -> list[Objection]:
    """Accepted objections whose correction is not yet in a re-scored revision."""
    return [o for o in objections(s, rnd, version) if o.status == "accepted" and o.result_publication_id is None]


def start_rescore(s: Session, now: datetime, rnd: Round, version: int, by: User, ip: str = "") -> Publication:
    """The next revision of a version in 复查, from the data with every accepted correction in it."""
    from jxscore.portal.publish import _new_publication
    from jxscore.portal.rounds import hold

    hold(s, rnd)
    if stage_of(s, rnd, version) != "复查":
        raise ReviewError(Problem.make(Code.ANSWER_STAGE, value=stage_of(s, rnd, version) or "草稿"))
    if not pending(s, rnd, version):
        raise ReviewError(Problem.make(Code.NOTHING_TO_RESCORE, value=version))
    if rendering(s, rnd, version):
        raise ReviewError(Problem.make(Code.STAGE_NOT_READY, value="复查", why="@why.rendering"))
    return _new_publication(s, now, rnd, by, ip, version=version)


def run_rescore(factory, pub_id: int, clock, sign=None) -> Publication:
    """Render the re-scored revision (still marked 公示稿 with the version's window) and store, in one
    transaction, its documents, its diff against the previous revision (`diff.csv`, each changed row with the
    objection that caused it) and the link from each applied objection to it."""
    from pathlib import Path

    from jxscore.portal.db import transaction
    from jxscore.portal.publish import _guarded, _render, collected_data, provisional_mark

    def job(work: Path) -> Publication:
        with transaction(factory) as s:
            pub = s.get(Publication, pub_id)
            rnd = pub.round
            prev = s.scalar(select(Publication).where(
                Publication.round_id == rnd.id, Publication.version == pub.version, Publication.status == "done",
                Publication.revision < pub.revision).order_by(Publication.revision.desc()).limit(1))
            before = work / "before"
            before.mkdir()
            for d in prev.documents:
                if d.kind in ("scores", "ledger", "manifest"):
                    (before / {"scores": "scores.csv", "ledger": "ledger.csv",
                               "manifest": "manifest.json"}[d.kind]).write_bytes(d.file.data)
            end = window_end(s, rnd, pub.version)
            version, round_id = pub.version, rnd.id
            # the objections whose corrections the data collected next contains: one answered while this
            # renders stays pending (linking it would let 审定 freeze results without its correction)
            taken = {o.id for o in pending(s, rnd, version)}
        data, crit_path = collected_data(factory, round_id, work)

        def stored(s: Session, pub: Publication, now: datetime) -> None:
            from jxscore.analysis.diff import diff_runs, write_diff

            applied = [o for o in pending(s, pub.round, version) if o.id in taken]
            d = diff_runs(before, work / "out")
            causes = {}
            for o in applied:
                if o.target.startswith("ledger:"):
                    causes[(o.city, o.target.split(":", 1)[1])] = f"异议#{o.id}"
            for r in d.rows:  # a row the objection did not name, changed by its correction
                if (r.city, r.code) not in causes:
                    ids = [f"异议#{o.id}" for o in applied if o.city == r.city]
                    if ids:
                        causes[(r.city, r.code)] = "、".join(ids)
            d = d.with_causes(causes)
            write_diff(d, work / "diff")
            f = files.put(s, (work / "diff" / "diff.csv").read_bytes(), files.media_for("diff.csv"), now)
            from jxscore.portal.models import Document

            s.add(Document(publication_id=pub.id, kind="diff", city="", file_id=f.id))
            for o in applied:
                o.result_publication_id = pub.id

        return _render(factory, pub_id, clock, data, crit_path, work, sign,
                       mark=provisional_mark(end, version) if end else None, on_stored=stored)

    return _guarded(factory, pub_id, clock, job)


def start_announcement(s: Session, now: datetime, rnd: Round, version: int, by: User | None) -> Publication:
    """Check that `version` may be announced (it is 审定, nothing renders); returns its final revision."""
    if stage_of(s, rnd, version) != "审定":
        raise ReviewError(Problem.make(Code.STAGE_ORDER, value="公告", current=stage_of(s, rnd, version) or "草稿",
                                       expected="审定"))
    if rendering(s, rnd, version):
        raise ReviewError(Problem.make(Code.STAGE_NOT_READY, value="公告", why="@why.rendering"))
    return latest_revision(s, rnd, version)


def run_announcement(factory, round_id: int, version: int, clock, by_id: int | None, sign=None,
                     issuer: str | None = None) -> None:
    """公告: the final scorecards and summary (no 公示稿 mark, signed when a key is configured) and the
    announcement PDF, rendered from the approved revision's own input tables, stored with the version's
    entry into 公告 in one transaction. A failure is logged and audited (the version stays 审定, nothing
    stored) and raised again for the caller."""
    try:
        _announce(factory, round_id, version, clock, by_id, sign, issuer)
    except Exception as e:
        import logging

        from jxscore.portal.db import transaction

        logging.getLogger("jxscore.portal").exception("公告 of round %s v%s failed", round_id, version)
        with transaction(factory) as s:
            rnd = s.get(Round, round_id)
            audit.record(s, clock(), audit.Action.ANNOUNCE_FAILED, user_name="(server)",
                         target=f"{rnd.year} v{version}", detail=type(e).__name__)
        raise


def _announce(factory, round_id: int, version: int, clock, by_id: int | None, sign, issuer: str | None) -> None:
    import tempfile
    from pathlib import Path

    from jxscore import service
    from jxscore.portal.db import transaction
    from jxscore.portal.models import Document
    from jxscore.report.announce import ISSUER

    with transaction(factory) as s:
        rnd = s.get(Round, round_id)
        pub = latest_revision(s, rnd, version)
        pub_id, year = pub.id, rnd.year
        inputs = {d.kind.split(":", 1)[1]: d.file.data for d in pub.documents if d.kind.startswith("input:")}
        crit_bytes = rnd.criteria_file.data
    with tempfile.TemporaryDirectory(prefix="jxscore-ann-") as tmp:
        work = Path(tmp)
        data = work / "data"
        data.mkdir()
        for name, blob in inputs.items():
            (data / Path(name).name).write_bytes(blob)
        from jxscore.portal.rounds import criteria_path_in

        crit = criteria_path_in(work, crit_bytes)
        opts = service.RunOptions(year, data, crit)
        day = clock().astimezone(CST).date()
        out = work / "out"
        service.report(opts, service.ReportOptions(sign=sign), out)
        service.save(service.announce(opts, service.AnnounceOptions(issuer=issuer or ISSUER, date=day,
                                                                           version=version)), work / "ann")
        if sign is not None:
            from jxscore.report.sign import load_signer

            load_signer(sign).sign_file(work / "ann" / "announcement.pdf")
        with transaction(factory) as s:
            now = clock()
            rnd = s.get(Round, round_id)
            by = s.get(User, by_id) if by_id else None

            def add(kind: str, path: Path, city: str = "") -> None:
                f = files.put(s, path.read_bytes(), files.media_for(path.name), now)
                s.add(Document(publication_id=pub_id, kind=kind, city=city, file_id=f.id))

            add("announcement", work / "ann" / "announcement.pdf")
            add("final:summary", out / "summary.pdf")
            from jxscore.portal.rounds import criteria_of

            with criteria_of(s, rnd) as (crit, _, _):  # the round's own scheme, as publishing names the cards
                slug_city = {e.slug: e.name for e in crit.entities}
            for pdf in sorted((out / "scorecards").glob("*.pdf")):
                if pdf.stem in slug_city:
                    add("final:scorecard", pdf, slug_city[pdf.stem])
            enter_stage(s, now, rnd, version, "公告", by)
