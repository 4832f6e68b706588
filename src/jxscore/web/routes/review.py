"""The review cycle on the web (issue 15): a city's objections and what its re-score moved; the office's
stages, answers, re-scoring, diffs and announcement; the public announcement page.

Each handler parses, calls one function of `jxscore.portal.review` (which checks the stage, the window and
the city, and writes the audit events) and renders. Re-scoring and the announcement render on the office's
publishing worker (`office.publisher`); their futures sit in `Portal.extra["publish_futures"]`. Another city's
objection or evidence is a 404 exactly like a page that does not exist.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from jxscore.core.problems import Code, JxError, Problem
from jxscore.portal import audit, review, rounds, views
from jxscore.portal.clock import CST, window_text
from jxscore.portal.models import Objection, Publication, Round, StoredFile, User
from jxscore.web.deps import DB, CityScope, city_scope, client_ip, current_user, now, office, round_or_404
from jxscore.web.forms import posted, posted_evidence
from jxscore.web.pages import records, render

router = APIRouter()
EXT = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
STATUS_CLASS = {"open": "s-none", "accepted": "s-ok", "rejected": "s-errors"}
NEXT_LABEL = {"公示": "进入复查", "复查": "审定", "审定": "公告"}


# ------------------------------------------------------------------ helpers



def _versions(s: Session, rnd: Round) -> list[int]:
    """The round's versions with a finished revision, newest first."""
    return list(s.scalars(select(Publication.version).where(Publication.round_id == rnd.id,
                                                            Publication.status == "done")
                          .distinct().order_by(Publication.version.desc())))


def _latest_version(s: Session, rnd: Round) -> int:
    v = s.scalar(select(func.max(Publication.version)).where(Publication.round_id == rnd.id,
                                                             Publication.status == "done"))
    if v is None:
        raise HTTPException(404)  # nothing published: nothing to object to
    return v


def _names(s: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    return {u.id: u.name for u in s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def _attachment(data: bytes, media_type: str, name: str) -> Response:
    """A download under a name the server made (never one from a request)."""
    return Response(data, media_type=media_type, headers={"content-disposition": f'attachment; filename="{name}"'})


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _plain(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.4f}".rstrip("0").rstrip(".")


def targets(s: Session, pub: Publication, city: str) -> list[review.Target]:
    """What `city` may object to in `pub`: its own ledger rows and verification findings, labelled as read."""
    card = views.city_card(s, pub, city)
    if card is None:
        return []
    out = []
    for x in card.ledger:
        unit = f" {x.unit}" if x.unit and x.actual is not None else ""
        out.append(review.Target(f"ledger:{x.indicator}", f"{x.indicator} {x.name}：实际 {_plain(x.actual)}{unit}，"
                                                          f"得分 {_num(x.points)} / {_num(x.weight)}"))
    seen = set()
    for f in card.findings:
        key = f"finding:{f.code}:{f.key}"
        if key not in seen:
            seen.add(key)
            out.append(review.Target(key, f"核查 {f.code} {f.key}（{f.table_name}）：{f.detail}"[:300]))
    return out


def _grouped(ts: list[review.Target]) -> dict[str, list[review.Target]]:
    return {"ledger": [t for t in ts if t.key.startswith("ledger:")],
            "findings": [t for t in ts if t.key.startswith("finding:")]}


def _cause_links(year: int, city: str, cause: str, slug_by_city: dict[str, str]) -> list[tuple[str, str]]:
    """`异议#3、异议#4` → [(text, url)] to each objection's page."""
    out = []
    for part in (cause or "").split("、"):
        part = part.strip()
        if part.startswith("异议#") and part[3:].isdigit():
            out.append((part, f"/{year}/{slug_by_city.get(city, '')}/objections/{part[3:]}"))
        elif part:
            out.append((part, ""))
    return out


def _f(v: str) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def diff_rows(s: Session, pub: Publication, slug_by_city: dict[str, str], city: str | None = None
              ) -> tuple[list[dict], list[dict]] | None:
    """The stored diff.csv of a re-scored revision as (city rows, ledger rows); ledger rows of `city` only
    when given. None when the revision has no diff (revision 1)."""
    f = views.document(s, pub, "diff")
    if f is None:
        return None
    rows = list(csv.DictReader(io.StringIO(f.data.decode("utf-8-sig"), newline="")))
    crit = views.round_criteria(s, pub.round)
    ind_names = {i.code: i.name for i in crit.indicators}
    cities, ledger = [], []
    for r in rows:
        if r["kind"] == "city":
            cities.append({"city": r["city"], "fields": r["fields"].split(";"),
                           "total_old": _num(_f(r["total_old"])), "total_new": _num(_f(r["total_new"])),
                           "grade_old": r["grade_old"], "grade_new": r["grade_new"],
                           "rank_old": r["rank_old"], "rank_new": r["rank_new"]})
        elif r["kind"] == "ledger" and (city is None or r["city"] == city):
            ledger.append({"city": r["city"], "code": r["code"], "name": ind_names.get(r["code"], ""),
                           "fields": r["fields"].split(";"),
                           "actual_old": _plain(_f(r["actual_old"])), "actual_new": _plain(_f(r["actual_new"])),
                           "points_old": _num(_f(r["points_old"])), "points_new": _num(_f(r["points_new"])),
                           "weight_old": _num(_f(r["weight_old"])), "weight_new": _num(_f(r["weight_new"])),
                           "flags_old": r["flags_old"], "flags_new": r["flags_new"],
                           "causes": _cause_links(pub.round.year, r["city"], r["cause"], slug_by_city)})
    return cities, ledger


def _revisions(s: Session, rnd: Round, version: int) -> list[Publication]:
    return list(s.scalars(select(Publication).where(Publication.round_id == rnd.id, Publication.version == version)
                          .order_by(Publication.revision)))


def _objection_view(s: Session, o: Objection, slug_by_city: dict[str, str], users: dict[int, str]) -> dict:
    result = s.get(Publication, o.result_publication_id) if o.result_publication_id else None
    return {"o": o, "status": review.STATUS_NAMES[o.status], "cls": STATUS_CLASS[o.status],
            "slug": slug_by_city.get(o.city, ""), "filed_by": users.get(o.filed_by, ""),
            "answered_by": users.get(o.answered_by, ""), "result": result,
            "correction": s.get(StoredFile, o.correction_file_id) if o.correction_file_id else None,
            "files": [{"n": n, "label": f.label, "sha256": f.file.sha256, "size": f.file.size}
                      for n, f in enumerate(o.files, 1)]}


def _views(s: Session, objs: list[Objection], slug_by_city: dict[str, str]) -> list[dict]:
    users = _names(s, [o.filed_by for o in objs] + [o.answered_by for o in objs])
    return [_objection_view(s, o, slug_by_city, users) for o in objs]


# ------------------------------------------------------------------ the city: objections

def _city_page(request: Request, s: Session, sc: CityScope, rnd: Round, *, problems: list[dict] | None = None,
               form: dict | None = None, status: int = 200) -> Response:
    portal = request.app.state.portal
    version = _latest_version(s, rnd)
    pub = review.latest_revision(s, rnd, version)
    stage = review.stage_of(s, rnd, version)
    end = review.window_end(s, rnd, version)
    t = portal.clock()
    open_window = stage == "公示" and end is not None and t < end and sc.user.role == "city"
    objs = review.objections(s, rnd, city=sc.city)
    return render(request, "review_city.html", status=status, title=f"{sc.city} {rnd.year}年度考核结果异议",
                  scope=sc, rnd=rnd, version=version, stage=stage or "草稿", window=window_text(end),
                  open_window=open_window, targets=_grouped(targets(s, pub, sc.city) if open_window else []),
                  objections=list(reversed(_views(s, objs, portal.slug_by_city))), problems=problems or [],
                  form=form or {"target": "", "text": ""}, max_evidence=review.MAX_EVIDENCE)


@router.get("/{year}/{slug}/objections")
def city_objections(request: Request, sc: CityScope = Depends(city_scope), s: Session = DB) -> Response:
    return _city_page(request, s, sc, round_or_404(s, sc.year))


def _uploads(form, name: str) -> list[tuple[str, bytes]]:
    """Every file in the multipart field `name` (an empty file input sends a nameless empty part: skipped)."""
    out = []
    for f in form.getlist(name):
        if isinstance(f, UploadFile):
            data = f.file.read()  # whole (the request is capped at MAX_BODY): a refusal names the real size
            if f.filename or data:
                out.append((f.filename or "", data))
    return out


@router.post("/{year}/{slug}/objections")
def file_objection(request: Request, sc: CityScope = Depends(city_scope), s: Session = DB,
                   t: datetime = Depends(now), form: FormData = Depends(posted_evidence)) -> Response:
    # posted_evidence: a 6th file is said in words, not a bare 400
    if sc.user.role != "city":  # the office answers objections; it never files one for a city
        raise HTTPException(404)
    rnd = round_or_404(s, sc.year)
    version = _latest_version(s, rnd)
    pub = review.latest_revision(s, rnd, version)
    target, text = str(form.get("target") or ""), str(form.get("text") or "")
    evidence = _uploads(form, "evidence")
    try:
        o = review.file_objection(s, t, rnd, version, sc.city, target,
                                    targets(s, pub, sc.city), text, evidence, sc.user, ip=client_ip(request))
    except review.ReviewError as e:
        codes = {p.code for p in e.problems}
        status = 409 if Code.WINDOW_CLOSED in codes else 413 if Code.UPLOAD_TOO_LARGE in codes else 400
        return _city_page(request, s, sc, rnd, problems=records(e.problems), status=status,
                          form={"target": target, "text": text[:5000]})
    return RedirectResponse(f"/{sc.year}/{sc.slug}/objections/{o.id}", status_code=303)


def _own_objection(s: Session, sc: CityScope, objection_id: int) -> tuple[Round, Objection]:
    rnd = round_or_404(s, sc.year)
    o = review.get_objection(s, rnd, objection_id, city=sc.city)
    if o is None:
        raise HTTPException(404)
    return rnd, o


@router.get("/{year}/{slug}/objections/{objection_id}")
def objection_page(request: Request, objection_id: int, sc: CityScope = Depends(city_scope),
                   s: Session = DB) -> Response:
    rnd, o = _own_objection(s, sc, objection_id)
    view = _views(s, [o], request.app.state.portal.slug_by_city)[0]
    filed_on = s.get(Publication, o.publication_id)
    return render(request, "review_objection.html", title=f"异议#{o.id}", scope=sc, rnd=rnd, x=view,
                  filed_on=filed_on, window=window_text(review.window_end(s, rnd, o.version)))


@router.get("/{year}/{slug}/objections/{objection_id}/evidence/{n}")
def evidence(request: Request, objection_id: int, n: int, sc: CityScope = Depends(city_scope),
             s: Session = DB, t: datetime = Depends(now)) -> Response:
    _, o = _own_objection(s, sc, objection_id)
    if not 1 <= n <= len(o.files):
        raise HTTPException(404)
    f = o.files[n - 1].file
    name = f"objection-{o.id}-{n}.{EXT.get(f.media_type, 'bin')}"  # made here: the uploaded name never leaves
    if sc.user.role == "office":
        audit.record(s, t, audit.Action.DOWNLOAD, user=sc.user, target=f"objection {o.id} evidence {n}",
                     sha256=f.sha256, detail=name, ip=client_ip(request))
    return _attachment(f.data, f.media_type, name)


@router.get("/{year}/{slug}/changes")
def city_changes(request: Request, sc: CityScope = Depends(city_scope), v: int | None = None,
                 s: Session = DB) -> Response:
    """What the latest re-score moved: every city whose total, grade or rank changed, and the city's own rows."""
    rnd = round_or_404(s, sc.year)
    version = v if v is not None else _latest_version(s, rnd)
    pub = review.latest_revision(s, rnd, version)
    if pub is None:
        raise HTTPException(404)
    d = diff_rows(s, pub, request.app.state.portal.slug_by_city, city=sc.city)
    return render(request, "review_changes.html", title=f"{sc.city} {rnd.year}年度复查重新计分的变化", scope=sc,
                  rnd=rnd, pub=pub, diff=d, own=sc.city)


# ------------------------------------------------------------------ the office: stages, answers, re-scoring

def _future(portal, key: str):
    return portal.extra.setdefault("publish_futures", {}).get(key)


def _ann_key(rnd: Round, version: int) -> str:
    return f"announce-{rnd.id}-{version}"


def _review_page(request: Request, s: Session, rnd: Round, problems: list[dict] | None = None,
                 status: int = 200) -> Response:
    portal = request.app.state.portal
    t = portal.clock()
    out = []
    for version in _versions(s, rnd):
        stage = review.stage_of(s, rnd, version) or "草稿"
        end = review.window_end(s, rnd, version)
        events = review.stages(s, rnd, version)
        users = _names(s, [e.user_id for e in events])
        objs = review.objections(s, rnd, version)
        n_open = sum(o.status == "open" for o in objs)
        waiting = review.pending(s, rnd, version)
        revs = _revisions(s, rnd, version)
        rendering = any(p.status == "rendering" for p in revs)
        fut = _future(portal, _ann_key(rnd, version))
        announcing = fut is not None and not fut.done() and stage == "审定"
        ann_failed = fut is not None and fut.done() and fut.exception() is not None and stage == "审定"
        nxt, why = NEXT_LABEL.get(stage), ""
        if stage == "公示" and end is not None and t < end:
            why = f"公示期至 {window_text(end)}（北京时间）截止，截止后方可进入复查。"
        elif stage == "复查" and n_open:
            why = f"尚有 {n_open} 条异议未答复：答复全部异议后方可审定。"
        elif stage == "复查" and (waiting or rendering):
            why = "已采纳的异议须重新计分完成后方可审定。"
        elif rendering or announcing:
            why = "正在生成，请稍候。"
        out.append({"version": version, "stage": stage, "window": window_text(end),
                    "events": [{"stage": e.stage, "at": e.at, "who": users.get(e.user_id, ""),
                                "window": window_text(e.window_end)} for e in events],
                    "next": nxt, "next_stage": {"进入复查": "复查"}.get(nxt or "", nxt), "why": why,
                    "objections": _views(s, objs, portal.slug_by_city), "n_open": n_open, "pending": len(waiting),
                    "revisions": revs, "rendering": rendering, "announcing": announcing, "ann_failed": ann_failed,
                    "may_answer": stage == "复查"})
    return render(request, "review_office.html", status=status, title=f"{rnd.year}年度考核 公示与复查", rnd=rnd,
                  versions=out, problems=problems or [], may_correct=bool(out) and out[0]["stage"] in ("审定", "公告"),
                  polling=any(v["rendering"] or v["announcing"] for v in out))


@router.get("/office/{year}/review")
def office_review(request: Request, year: int, user: User = Depends(office), s: Session = DB) -> Response:
    return _review_page(request, s, round_or_404(s, year))


def _refused(request: Request, s: Session, rnd: Round, e: JxError) -> Response:
    return _review_page(request, s, rnd, records(e.problems), status=409)


@router.post("/office/{year}/v{version}/stage")
def change_stage(request: Request, year: int, version: int, user: User = Depends(office),
                 s: Session = DB, t: datetime = Depends(now), form: FormData = Depends(posted)) -> Response:
    from jxscore.web.routes.office import publisher

    rnd = round_or_404(s, year)
    stage = str(form.get("stage") or "")
    portal = request.app.state.portal
    try:
        if stage == "公告":
            fut = _future(portal, _ann_key(rnd, version))
            if fut is not None and not fut.done():
                raise review.ReviewError(Problem.make(Code.ANNOUNCING, value=version))
            review.start_announcement(s, t, rnd, version, user)
            ex = publisher(portal)
            portal.extra["publish_futures"][_ann_key(rnd, version)] = ex.submit(
                review.run_announcement, portal.sessions, rnd.id, version, portal.clock, user.id,
                portal.extra.get("sign"))
        else:
            review.enter_stage(s, t, rnd, version, stage, user, ip=client_ip(request))
    except JxError as e:
        return _refused(request, s, rnd, e)
    return RedirectResponse(f"/office/{year}/review#v{version}", status_code=303)


@router.post("/office/{year}/objections/{objection_id}/answer")
def answer(request: Request, year: int, objection_id: int, user: User = Depends(office),
           s: Session = DB, t: datetime = Depends(now), form: FormData = Depends(posted)) -> Response:
    rnd = round_or_404(s, year)
    o = review.get_objection(s, rnd, objection_id)
    if o is None:
        raise HTTPException(404)
    decision = str(form.get("decision") or "")
    reason = str(form.get("reason") or "")
    fixes = _uploads(form, "correction")
    try:
        if decision not in ("accept", "reject"):
            raise review.ReviewError(Problem.make(Code.BAD_OPTION, option="答复", value=decision or "（未选择）",
                                                  expected="采纳或不予采纳"))
        accept = decision == "accept"
        fix_id = None
        if accept and fixes:
            review.answerable(s, rnd, o)  # before the workbook is stored: a refused answer leaves none behind
            name, data = fixes[0]
            fix_id = (review.store_correction(s, t, rnd, name or "correction.xlsx", data,
                                              user, city=o.city, ip=client_ip(request))).file_id
        review.answer_objection(s, t, rnd, o, accept, reason, fix_id, user, ip=client_ip(request))
    except JxError as e:
        return _refused(request, s, rnd, e)
    return RedirectResponse(f"/office/{year}/review#objection-{o.id}", status_code=303)


@router.post("/office/{year}/v{version}/rescore")
def rescore(request: Request, year: int, version: int, user: User = Depends(office),
            s: Session = DB, t: datetime = Depends(now), _form: FormData = Depends(posted)) -> Response:
    from jxscore.portal.db import transaction
    from jxscore.web.routes.office import publisher

    rnd = round_or_404(s, year)
    portal = request.app.state.portal
    ex = publisher(portal)
    try:
        with transaction(portal.sessions) as own:  # committed before the worker reads it
            pub = review.start_rescore(own, t, rounds.get_round(own, year), version, user, ip=client_ip(request))
    except JxError as e:
        return _refused(request, s, rnd, e)
    portal.extra["publish_futures"][pub.id] = ex.submit(review.run_rescore, portal.sessions, pub.id, portal.clock,
                                                        portal.extra.get("sign"))
    return RedirectResponse(f"/office/{year}/review#v{version}", status_code=303)


@router.post("/office/{year}/correction")
def correction(request: Request, year: int, user: User = Depends(office), s: Session = DB,
               t: datetime = Depends(now), form: FormData = Depends(posted)) -> Response:
    """A correction after 审定: a city's book or office.xlsx taken into the round's data (checked by the intake),
    published as the next version from the round's page; refused while a version is in 公示 or 复查."""
    rnd = round_or_404(s, year)
    fixes = _uploads(form, "correction")
    try:
        review.may_publish_new_version(s, rnd)
        if not fixes:
            raise review.ReviewError(Problem.make(Code.UPLOAD_EMPTY))
        name, data = fixes[0]
        review.store_correction(s, t, rnd, name or "correction.xlsx", data, user,
                                ip=client_ip(request))
    except JxError as e:
        return _refused(request, s, rnd, e)
    return RedirectResponse(f"/office/{year}", status_code=303)


def _revision(s: Session, year: int, version: int, revision: int) -> Publication:
    from jxscore.portal.publish import get_publication

    pub = get_publication(s, round_or_404(s, year), version, revision)
    if pub is None or pub.status != "done":
        raise HTTPException(404)
    return pub


@router.get("/office/{year}/v{version}/r{revision}/diff")
def diff_page(request: Request, year: int, version: int, revision: int, user: User = Depends(office),
              s: Session = DB) -> Response:
    pub = _revision(s, year, version, revision)
    d = diff_rows(s, pub, request.app.state.portal.slug_by_city)
    if d is None:
        raise HTTPException(404)
    return render(request, "review_diff.html", title=f"{year}年度第{version}版 复查重新计分（第{revision}次计分）",
                  pub=pub, year=year, cities=d[0], ledger=d[1])


@router.get("/office/{year}/v{version}/r{revision}/diff.csv")
def diff_csv(request: Request, year: int, version: int, revision: int, user: User = Depends(office),
             s: Session = DB, t: datetime = Depends(now)) -> Response:
    pub = _revision(s, year, version, revision)
    f = views.document(s, pub, "diff")
    if f is None:
        raise HTTPException(404)
    name = f"diff-{year}-v{version}-r{revision}.csv"
    audit.record(s, t, audit.Action.DOWNLOAD, user=user, target=f"{year} v{version} r{revision} diff",
                 sha256=f.sha256, detail=name, ip=client_ip(request))
    return _attachment(f.data, f.media_type, name)


# ------------------------------------------------------------------ 公告: the office's page and the public one

def announced(s: Session, rnd: Round) -> Publication | None:
    """The final revision of the round's newest announced version (a later version in review does not
    withdraw an announcement already made); None before any 公告."""
    for version in _versions(s, rnd):
        if review.stage_of(s, rnd, version) == "公告":
            return review.latest_revision(s, rnd, version)
    return None


def _announcement(s: Session, rnd: Round, pub: Publication) -> dict:
    nm = views.names(s, rnd)
    ev = next(e for e in review.stages(s, rnd, pub.version) if e.stage == "公告")
    rows = views.ranking(s, pub)
    return {"pub": pub, "rows": rows, "at": ev.at, "day": ev.at.astimezone(CST).date(),
            "vetoes": [(r.city, c, nm.vetoes.get(c, "")) for r in rows for c in r.vetoes],
            "caps": [(r.city, c, nm.caps.get(c, "")) for r in rows for c in r.caps]}


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@router.get("/office/{year}/announcement")
def office_announcement(request: Request, year: int, user: User = Depends(office),
                        s: Session = DB) -> Response:
    rnd = round_or_404(s, year)
    pub = announced(s, rnd)
    if pub is None:
        raise HTTPException(404)
    portal = request.app.state.portal
    finals = [{"city": d.city, "slug": portal.slug_by_city.get(d.city, ""), "sha256": d.file.sha256}
              for d in pub.documents if d.kind == "final:scorecard"]
    return render(request, "review_announcement.html", title=f"{year}年度考核结果公告", year=year,
                  a=_announcement(s, rnd, pub), cn_date=_cn_date, finals=finals,
                  pdf=views.document(s, pub, "announcement"))


def _announcement_file(s: Session, year: int, kind: str, city: str = "") -> tuple[Publication, StoredFile]:
    rnd = rounds.get_round(s, year)
    pub = announced(s, rnd) if rnd is not None else None
    f = views.document(s, pub, kind, city) if pub is not None else None
    if f is None:
        raise HTTPException(404)
    return pub, f


@router.get("/office/{year}/announcement.pdf")
def office_announcement_pdf(request: Request, year: int, user: User = Depends(office), s: Session = DB,
                            t: datetime = Depends(now)) -> Response:
    pub, f = _announcement_file(s, year, "announcement")
    name = f"announcement-{year}-v{pub.version}.pdf"
    audit.record(s, t, audit.Action.DOWNLOAD, user=user, target=f"{year} v{pub.version} announcement",
                 sha256=f.sha256, detail=name, ip=client_ip(request))
    return _attachment(f.data, "application/pdf", name)


@router.get("/office/{year}/announcement/{name}.pdf")
def office_final_pdf(request: Request, year: int, name: str, user: User = Depends(office), s: Session = DB,
                     t: datetime = Depends(now)) -> Response:
    """The final (unmarked) summary or a city's final scorecard issued at 公告."""
    city = request.app.state.portal.city_by_slug.get(name)
    if name != "summary" and city is None:
        raise HTTPException(404)
    pub, f = _announcement_file(s, year, "final:summary" if city is None else "final:scorecard", city or "")
    out = f"{name}-{year}-v{pub.version}-final.pdf"
    audit.record(s, t, audit.Action.DOWNLOAD, user=user, target=f"{year} v{pub.version} final {name}",
                 sha256=f.sha256, detail=out, ip=client_ip(request))
    return _attachment(f.data, "application/pdf", out)


@router.get("/public/{year}")
def public_page(request: Request, year: int, s: Session = DB,
                user: User | None = Depends(current_user)) -> Response:
    """No login: the announced ranking with grades, once a version of the round is in 公告; before, 404."""
    rnd = rounds.get_round(s, year)
    pub = announced(s, rnd) if rnd is not None else None
    if pub is None:
        raise HTTPException(404)
    return render(request, "public_announcement.html", title=f"{year}年度设区市节能减排目标责任评价考核结果公告",
                  year=year, a=_announcement(s, rnd, pub), cn_date=_cn_date,
                  has_pdf=views.document(s, pub, "announcement") is not None)


@router.get("/public/{year}/announcement.pdf")
def public_pdf(request: Request, year: int, s: Session = DB) -> Response:
    pub, f = _announcement_file(s, year, "announcement")
    return _attachment(f.data, "application/pdf", f"announcement-{year}-v{pub.version}.pdf")
