"""The office's pages (rounds, dashboard, preview, publishing, downloads, audit log) and the city's upload form.

Each handler parses, calls one function of `jxscore.portal.rounds` / `.publish` and renders. Publishing
runs on one background thread per server (`Portal.extra["publisher"]`), so the office's page answers at
once and shows the progress; a round's preview is scored once and kept in `Portal.extra["preview"]`.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime
from pathlib import PurePosixPath

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from jxscore.core.problems import JxError
from jxscore.portal import audit, publish, review, rounds
from jxscore.portal.models import Publication, Round, StoredFile, User
from jxscore.web.deps import DB, CityScope, city_scope, client_ip, now, office, round_or_404
from jxscore.web.forms import posted
from jxscore.web.pages import records, render

router = APIRouter()
_lock = threading.Lock()
AUDIT_PAGE = 100
KIND_NAMES = {"scorecard": "评价考核结果通知书（PDF）", "summary": "全省汇总（PDF）", "scores": "得分表（CSV）",
              "ledger": "评分明细（CSV）", "verification": "核查结果（CSV）", "manifest": "运行清单（JSON）",
              "results": "结果工作簿（XLSX）", "sha256sums": "SHA256SUMS"}
KIND_EXT = {"summary": ".pdf", "scores": ".csv", "ledger": ".csv", "verification": ".csv", "manifest": ".json",
            "results": ".xlsx", "sha256sums": ".txt", "scorecard": ".pdf"}


# ------------------------------------------------------------------ helpers

def _portal(request: Request):
    return request.app.state.portal




def _file(form, name: str) -> tuple[str, bytes]:
    """An uploaded file's name (for messages only) and at most MAX_UPLOAD + 1 of its bytes."""
    f = form.get(name)
    if not isinstance(f, UploadFile):
        return "", b""
    return f.filename or "", f.file.read(rounds.MAX_UPLOAD + 1)


def publisher(portal):
    """The one background worker that renders publications (made on first use; renders a stopped server
    left behind were marked failed when this app started, `create_app`)."""
    from concurrent.futures import ThreadPoolExecutor

    with _lock:
        ex = portal.extra.get("publisher")
        if ex is None:
            ex = portal.extra["publisher"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jxscore-publish")
            portal.extra.setdefault("publish_futures", {})
        return ex


def _preview(portal, rnd: Round) -> dict:
    """The locked round scored (ranking, ledger, findings) or the problems collecting it found; cached."""
    cache = portal.extra.setdefault("preview", {})
    if rnd.id in cache:
        return cache[rnd.id]
    from jxscore.io.writers import verification_frame
    from jxscore.portal.views import TABLE_NAMES

    try:
        run = publish.preview_run(portal.sessions, rnd.id)
    except JxError as e:
        view = {"problems": records(e.problems), "ranking": [], "ledger": {}, "findings": []}
    else:
        res = run.result
        ranking = [{"rank": int(r["rank"]), "city": r["city"], "total": f"{r['total']:.2f}", "grade": r["grade"],
                    "base_grade": r["base_grade"], "cats": [f"{r[c.code]:.2f}" for c in res.criteria.categories],
                    "caps": "、".join(map(str, r["caps"])), "vetoes": "、".join(map(str, r["vetoes"]))}
                   for r in res.scores.to_dict("records")]
        ledger: dict[str, list[dict]] = {}
        for r in res.ledger.to_dict("records"):
            ledger.setdefault(r["city"], []).append(
                {"code": r["indicator"], "name": r["name"], "actual": _n(r["actual"]), "target": _n(r["target"]),
                 "fraction": _n(r["fraction"], 4), "weight": _n(r["weight"]), "points": _n(r["points"]),
                 "note": r["note"]})
        findings = verification_frame(res).to_dict("records") if res.verification is not None else []
        for f in findings:  # the table's Chinese name, as the city's page shows it
            f["table_name"] = TABLE_NAMES.get(f["table"], f["table"])
        view = {"problems": [], "ranking": ranking, "ledger": ledger, "findings": findings,
                "categories": [c.code for c in res.criteria.categories], "input_hash": run.manifest["input_hash"],
                "warnings": records(res.warnings)}
    cache[rnd.id] = view
    return view


def _n(v, digits: int = 2) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "" if v is None else str(v)
    return "" if f != f else f"{f:,.{digits}f}"


def _download(s: Session, t: datetime, user: User, request: Request, f: StoredFile, name: str, target: str
              ) -> Response:
    audit.record(s, t, audit.Action.DOWNLOAD, user=user, target=target, sha256=f.sha256, detail=name,
                 ip=client_ip(request))
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:120] or "download"  # never a quote or a header break
    return Response(f.data, media_type=f.media_type,
                    headers={"content-disposition": f'attachment; filename="{safe}"'})


# ------------------------------------------------------------------ rounds

@router.get("/office")
def office_home(request: Request, user: User = Depends(office), s: Session = DB) -> Response:
    return _home(request, s, [], status=200, year="")


def _home(request: Request, s: Session, problems: list[dict], status: int, year: str) -> Response:
    rows = []
    for rnd in rounds.rounds(s):
        pubs = publish.publications(s, rnd)
        done = [p for p in pubs if p.status == "done"]
        rows.append({"round": rnd, "published": done[0].version if done else 0})
    return render(request, "office_index.html", status=status, title="考核轮次", rows=rows, problems=problems,
                  year=year)


@router.post("/office/rounds")
def open_round(request: Request, user: User = Depends(office), s: Session = DB,
               t: datetime = Depends(now), form: FormData = Depends(posted)) -> Response:
    year_text = str(form.get("year") or "").strip()
    crit_name, crit = _file(form, "criteria")
    office_name, office_book = _file(form, "office")
    if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
        from jxscore.core.problems import Code, Problem

        return _home(request, s, records([Problem.make(Code.BAD_OPTION, option="年度", value=year_text,
                                                        expected="2000–2100")]), 400, year_text)
    try:
        rounds.open_round(s, t, int(year_text), crit or None, office_book, user, office_name=office_name or
                          "office.xlsx", ip=client_ip(request))
    except JxError as e:
        too_big = any(p.code == "upload-too-large" for p in e.problems)
        return _home(request, s, records(e.problems), 413 if too_big else 400, year_text)
    return RedirectResponse(f"/office/{int(year_text)}", status_code=303)


@router.get("/office/audit")
def audit_log(request: Request, before: int | None = None, user: User = Depends(office),
              s: Session = DB) -> Response:
    evs = audit.events(s, limit=AUDIT_PAGE + 1, before_id=before)
    more = len(evs) > AUDIT_PAGE
    evs = evs[:AUDIT_PAGE]
    return render(request, "office_audit.html", title="审计日志", events=evs,
                  next_before=evs[-1].id if more and evs else None)


@router.get("/office/{year}")
def dashboard(request: Request, year: int, user: User = Depends(office), s: Session = DB) -> Response:
    return _dashboard(request, s, round_or_404(s, year), [])


def _dashboard(request: Request, s: Session, rnd: Round, problems: list[dict], status: int = 200) -> Response:
    portal = _portal(request)
    states = rounds.city_states(s, rnd)
    pubs = []
    for p in publish.publications(s, rnd):
        docs = []
        for d in publish.documents(s, p):
            slug = portal.slug_by_city.get(d.city, "")
            if d.kind.startswith("input:"):
                url, label = f"/office/{rnd.year}/v{p.version}/input/{d.kind[6:]}", "输入数据 " + d.kind[6:]
            elif d.kind == "scorecard":
                url, label = f"/office/{rnd.year}/v{p.version}/scorecard/{slug}", f"{d.city} 通知书（PDF）"
            else:
                url, label = f"/office/{rnd.year}/v{p.version}/{d.kind}", KIND_NAMES.get(d.kind, d.kind)
            docs.append({"url": url, "label": label, "sha256": d.file.sha256, "size": d.file.size})
        pubs.append({"pub": p, "docs": docs, "stage": review.stage_of(s, rnd, p.version) or "草稿"})
    ready = rnd.state == "locked" and all(c.state == "locked" for c in states)
    preview = _preview(portal, rnd) if rnd.state == "locked" else None
    rendering = any(p["pub"].status == "rendering" for p in pubs)
    done = [p["pub"] for p in pubs if p["pub"].status == "done"]
    last = max((p.version for p in done), default=None)
    stage = review.stage_of(s, rnd, last) if last is not None else None
    in_review = {"version": last, "stage": stage} if stage in ("公示", "复查") else None  # no new version now
    return render(request, "office_round.html", status=status, title=f"{rnd.year}年度考核", rnd=rnd, states=states,
                  in_review=in_review,
                  slug_by_city=portal.slug_by_city, pubs=pubs, ready=ready, preview=preview, problems=problems,
                  rendering=rendering, last_day=default_last_day(_portal(request).clock()))


@router.post("/office/{year}/lock")
def lock_round(request: Request, year: int, user: User = Depends(office), s: Session = DB,
               t: datetime = Depends(now), _form: FormData = Depends(posted)) -> Response:
    rnd = round_or_404(s, year)
    try:
        rounds.lock(s, t, rnd, user, ip=client_ip(request))
    except JxError as e:
        return _dashboard(request, s, rnd, records(e.problems), 409)
    return RedirectResponse(f"/office/{year}", status_code=303)


@router.post("/office/{year}/publish")
def publish_round(request: Request, year: int, user: User = Depends(office), s: Session = DB,
                  t: datetime = Depends(now), form: FormData = Depends(posted)) -> Response:
    from jxscore.portal.db import transaction

    rnd = round_or_404(s, year)
    portal = _portal(request)
    window_end = _window_end(str(form.get("window_last_day") or "").strip(), t)
    if isinstance(window_end, list):
        return _dashboard(request, s, rnd, records(window_end), 400)
    ex = publisher(portal)
    try:
        with transaction(portal.sessions) as own:  # committed before the worker reads it
            pub = publish.start_publication(own, t, rounds.get_round(own, year), user, ip=client_ip(request))
    except JxError as e:
        return _dashboard(request, s, rnd, records(e.problems), 409)
    portal.extra["publish_futures"][pub.id] = ex.submit(publish.run_publication, portal.sessions, pub.id,
                                                        portal.clock, portal.extra.get("sign"), window_end)
    return RedirectResponse(f"/office/{year}", status_code=303)


def default_last_day(t: datetime) -> str:
    """The 公示 window's default last day: 15 days on (北京时间), as the form's date field shows it."""
    from datetime import timedelta

    from jxscore.portal.clock import CST
    from jxscore.portal.review import WINDOW_DAYS

    return (t.astimezone(CST).date() + timedelta(days=WINDOW_DAYS)).isoformat()


def _window_end(text: str, t: datetime):
    """The window closes at 24:00 北京时间 of the last day given (empty: the default); a list of problems
    for a date that is not one or already past, refused before anything renders."""
    from datetime import date, time, timedelta

    from jxscore.core.problems import Code, Problem
    from jxscore.portal.clock import CST

    try:
        day = date.fromisoformat(text or default_last_day(t))
    except ValueError:
        return [Problem.make(Code.WINDOW_DATE, value=text[:20])]
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=CST)
    if end <= t:
        return [Problem.make(Code.WINDOW_DATE, value=text[:20])]
    return end


@router.get("/office/{year}/publications/{version}/status")
def publication_status(year: int, version: int, user: User = Depends(office), s: Session = DB) -> Response:
    pub = publish.get_publication(s, round_or_404(s, year), version)
    if pub is None:
        raise HTTPException(404)
    return JSONResponse({"version": pub.version, "status": pub.status, "done": pub.done, "total": pub.total,
                         "message": pub.message, "input_hash": pub.input_hash})


def _document(s: Session, year: int, version: int, kind: str, city: str = "") -> tuple[Publication, StoredFile]:
    pub = publish.get_publication(s, round_or_404(s, year), version)
    if pub is None or pub.status != "done":
        raise HTTPException(404)
    for d in publish.documents(s, pub):
        if d.kind == kind and d.city == city:
            return pub, d.file
    raise HTTPException(404)


@router.get("/office/{year}/v{version}/{kind}")
def download(request: Request, year: int, version: int, kind: str, user: User = Depends(office),
             s: Session = DB, t: datetime = Depends(now)) -> Response:
    if kind not in KIND_EXT or kind == "scorecard":
        raise HTTPException(404)
    _, f = _document(s, year, version, kind)
    name = f"{kind}-{year}-v{version}{KIND_EXT[kind]}"
    return _download(s, t, user, request, f, name, f"{year} v{version} {kind}")


@router.get("/office/{year}/v{version}/{kind}/{slug}")
def download_city(request: Request, year: int, version: int, kind: str, slug: str, user: User = Depends(office),
                  s: Session = DB, t: datetime = Depends(now)) -> Response:
    portal = _portal(request)
    if kind == "scorecard" and slug in portal.city_by_slug:
        _, f = _document(s, year, version, "scorecard", portal.city_by_slug[slug])
        name = f"{slug}-{year}-v{version}.pdf"
        return _download(s, t, user, request, f, name, f"{year} v{version} scorecard {portal.city_by_slug[slug]}")
    if kind == "input":
        _, f = _document(s, year, version, f"input:{slug}")  # looked up among the stored kinds, never a path
        p = PurePosixPath(slug)
        return _download(s, t, user, request, f, f"{p.stem}-{year}-v{version}{p.suffix}",
                         f"{year} v{version} input {slug}")
    raise HTTPException(404)


@router.get("/office/{year}/submissions/{slug}")
def download_submission(request: Request, year: int, slug: str, user: User = Depends(office),
                        s: Session = DB, t: datetime = Depends(now)) -> Response:
    city = _portal(request).city_by_slug.get(slug)
    rnd = round_or_404(s, year)
    sub = rounds.latest_submissions(s, rnd).get(city or "")
    if city is None or sub is None or sub.file_id is None:
        raise HTTPException(404)
    f = s.get(StoredFile, sub.file_id)
    return _download(s, t, user, request, f, f"{slug}-{year}-submission.xlsx", f"{year} submission {city}")


# ------------------------------------------------------------------ the city's upload

def _city_round(s: Session, scope: CityScope) -> Round:
    if scope.user.role != "city":  # the office reads submissions; it never submits for a city
        raise HTTPException(404)
    return round_or_404(s, scope.year)


def _submission_page(request: Request, s: Session, scope: CityScope, rnd: Round, *, problems: list[dict] | None = None,
                     stored: str = "", status: int = 200) -> Response:
    subs = rounds.submissions_of(s, rnd, scope.city)
    latest = subs[0] if subs else None
    if problems is None:
        problems = json.loads(latest.problems) if latest else []
    state = next(c for c in rounds.city_states(s, rnd, [scope.city]))
    return render(request, "submission.html", status=status, title=f"{scope.city} {rnd.year}年度报送", scope=scope,
                  rnd=rnd, state=state, latest=latest, history=subs[:10], problems=problems, stored=stored)


@router.get("/{year}/{slug}/submission")
def submission_form(request: Request, scope: CityScope = Depends(city_scope), s: Session = DB) -> Response:
    return _submission_page(request, s, scope, _city_round(s, scope))


@router.post("/{year}/{slug}/submission")
def submit(request: Request, scope: CityScope = Depends(city_scope), s: Session = DB,
           t: datetime = Depends(now), form: FormData = Depends(posted)) -> Response:
    rnd = _city_round(s, scope)
    name, data = _file(form, "file")
    try:
        # in a worker thread, not on the event loop: a second upload waiting there for SQLite's write lock
        # (busy_timeout) would stall the loop, so the first could never commit ("database is locked")
        sub = rounds.submit(s, t, rnd, scope.city, name, data, scope.user,
                                      ip=client_ip(request))
    except rounds.UploadRefused as e:
        return _submission_page(request, s, scope, rnd, problems=records(e.problems),
                                status=413 if e.too_large else (409 if rnd.state == "locked" else 400))
    if sub.status != "ok":
        return _submission_page(request, s, scope, rnd, status=422)
    return _submission_page(request, s, scope, rnd, stored=sub.sha256)
