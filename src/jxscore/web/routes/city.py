"""What a city reads (issue 14 item 5): its home, its scorecard page, PDF and ledger, the published ranking.

Every city route goes through `city_scope` (another city → the same 404 as a page that does not exist) and
answers 404 before publication; the office sees every city. `?v=N` reads an older published version.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from jxscore.portal import audit, views
from jxscore.portal.models import Publication, Round, Submission, User
from jxscore.web.deps import DB, CityScope, city_scope, client_ip, now, own_city, signed_in
from jxscore.web.pages import render

router = APIRouter()


def _publication(s: Session, year: int, v: int | None, user: User) -> Publication:
    """The published version asked for (latest without `v`); 404 before publication — for a city, before the
    version entered 公示."""
    if v is not None and not 1 <= v <= 10_000:
        raise HTTPException(404)
    pub = views.published(s, year, v, for_city=user.role == "city")
    if pub is None:
        raise HTTPException(404)
    return pub


def _stage(s: Session, pub: Publication) -> tuple[str | None, datetime | None]:
    from jxscore.portal.review import stage_of, window_end

    return stage_of(s, pub.round, pub.version), window_end(s, pub.round, pub.version)


def _to_office(s: Session, year: int, v: int | None, user: User) -> Response | None:
    """The office asking for a page of a round not yet published: its round page has the preview."""
    if user.role != "office" or v is not None or views.published(s, year) is not None:
        return None
    if s.scalar(select(Round.id).where(Round.year == year)) is None:
        return None
    return RedirectResponse(f"/office/{year}", status_code=303)


def _download_name(slug: str, year: int, pub: Publication, city: str, ext: str) -> str:
    """`attachment` with a server-made ASCII name (`nanchang-2024-v1.pdf`; a 复查 revision adds `-r2`) and its
    Chinese form as RFC 5987 filename*."""
    tag = f"v{pub.version}" + (f"-r{pub.revision}" if (pub.revision or 1) > 1 else "")
    return f"attachment; filename=\"{slug}-{year}-{tag}.{ext}\"; filename*=UTF-8''{quote(f'{city}-{year}-{tag}.{ext}')}"


def _audit_office_download(s: Session, t: datetime, request: Request, sc: CityScope, what: str, pub: Publication,
                           sha: str) -> None:
    if sc.user.role == "office":
        audit.record(s, t, audit.Action.DOWNLOAD, user=sc.user, target=f"{sc.year}/{sc.slug}/{what}",
                     sha256=sha, detail=f"v{pub.version}", ip=client_ip(request))


@router.get("/city")
def city_home(request: Request, user: User = Depends(own_city), s: Session = DB) -> Response:
    """The signed-in city's rounds: submission state while open, results once published."""
    portal = request.app.state.portal
    slug = portal.slug_by_city.get(user.city or "", "")
    rounds = []
    for rnd in s.scalars(select(Round).order_by(Round.year.desc())):
        last = s.scalars(select(Submission).where(Submission.round_id == rnd.id, Submission.city == user.city)
                         .order_by(Submission.id.desc()).limit(1)).first()
        pub = views.published(s, rnd.year, for_city=True)
        row = None
        if pub is not None:
            row = next((r for r in views.ranking(s, pub) if r.city == user.city), None)
        rounds.append({"year": rnd.year, "state": rnd.state, "submission": last, "pub": pub, "row": row,
                       "stage": _stage(s, pub)[0] if pub is not None else None})
    return render(request, "city_home.html", title=f"{user.city}", city=user.city, slug=slug, rounds=rounds,
                  history=views.city_history(s, user.city or ""))


@router.get("/{year}/{slug}/")
def scorecard_page(request: Request, sc: CityScope = Depends(city_scope), v: int | None = None,
                   s: Session = DB) -> Response:
    if (away := _to_office(s, sc.year, v, sc.user)) is not None:
        return away
    pub = _publication(s, sc.year, v, sc.user)
    card = views.city_card(s, pub, sc.city)
    if card is None:
        raise HTTPException(404)
    has_pdf = views.document(s, pub, "scorecard", sc.city) is not None
    stage, ends = _stage(s, pub)
    city = sc.user.role == "city"
    return render(request, "city_card.html", title=f"{sc.city} {sc.year}年度考核结果", card=card, scope=sc,
                  has_pdf=has_pdf, history=views.city_history(s, sc.city, for_city=city),
                  versions=views.versions(s, sc.year, for_city=city), stage=stage, window_end=ends,
                  latest=views.published(s, sc.year, for_city=city).version,
                  query=f"?v={pub.version}" if v is not None else "")


@router.get("/{year}/{slug}/scorecard.pdf")
def scorecard_pdf(request: Request, sc: CityScope = Depends(city_scope), v: int | None = None,
                  s: Session = DB, t: datetime = Depends(now)) -> Response:
    pub = _publication(s, sc.year, v, sc.user)
    # after 公告 the final (unmarked, signed) card; before, the provisional one marked 公示稿
    f = views.document(s, pub, "final:scorecard", sc.city) or views.document(s, pub, "scorecard", sc.city)
    if f is None:
        raise HTTPException(404)
    _audit_office_download(s, t, request, sc, "scorecard.pdf", pub, f.sha256)
    return Response(f.data, media_type="application/pdf",
                    headers={"Content-Disposition": _download_name(sc.slug, sc.year, pub, sc.city, "pdf")})


@router.get("/{year}/{slug}/ledger.csv")
def ledger_csv(request: Request, sc: CityScope = Depends(city_scope), v: int | None = None,
               s: Session = DB, t: datetime = Depends(now)) -> Response:
    """The city's own ledger rows only (never the province's file), formula-safe."""
    pub = _publication(s, sc.year, v, sc.user)
    header, rows = views.city_ledger_rows(s, pub, sc.city)
    if not rows:
        raise HTTPException(404)
    data = views.ledger_csv(header, rows)
    from jxscore.portal.files import sha256

    _audit_office_download(s, t, request, sc, "ledger.csv", pub, sha256(data))
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": _download_name(sc.slug, sc.year, pub, sc.city, "csv")})


@router.get("/{year}/ranking")
def ranking_page(request: Request, year: int, v: int | None = None, user: User = Depends(signed_in),
                 s: Session = DB) -> Response:
    if (away := _to_office(s, year, v, user)) is not None:
        return away
    if user.role == "city" and v is None:  # the latest announced version, though a newer one may be in 公示
        v = next((ver for ver in views.versions(s, year, for_city=True)
                  if _stage(s, views.published(s, year, ver, for_city=True))[0] == "公告"), None)
        if v is None:
            raise HTTPException(404)
    pub = _publication(s, year, v, user)
    if user.role == "city" and _stage(s, pub)[0] != "公告":
        raise HTTPException(404)  # the provincial ranking is the announced one (公告); before, a city sees its own
    rnd = pub.round
    nm = views.names(s, rnd)
    cats = views.category_codes(s, pub)
    return render(request, "ranking.html", title=f"{year}年度考核结果排名", year=year, pub=pub,
                  rows=views.ranking(s, pub), cats=[(c, nm.categories.get(c, c)) for c in cats], names=nm,
                  slug_by_city=request.app.state.portal.slug_by_city,
                  versions=views.versions(s, year, for_city=user.role == "city"),
                  latest=views.published(s, year, for_city=user.role == "city").version)
