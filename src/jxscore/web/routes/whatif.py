"""The office's what-if page (issue 14 item 6): category and indicator points as sliders, the ranking
recomputed by the core's own evaluation as they move, movers with the why; the round's sensitivity.

The published round is scored once (`service.run_score` on the publication's stored input tables and the
round's criteria; a locked round not yet published: its submissions as publishing collects them) and kept in
`Portal.extra`; a request only parses its scenario and re-evaluates
(`analysis.whatif.compute_whatif`), a few milliseconds.
"""

from __future__ import annotations

import json
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from jxscore.portal import views
from jxscore.portal.models import Document, Publication, Round, StoredFile, User
from jxscore.web.deps import DB, office
from jxscore.web.pages import render

router = APIRouter()

SENSITIVITY_SAMPLES = 10_000  # the CLI's default: well under a second on the cached scoring
RESERVED = {"v", "rescale", "vetoes_off", "caps_off"}  # query keys that are not point settings
MAX_SETTINGS = 200
_SWITCH = {"true": True, "1": True, "false": False, "0": False}


@dataclass
class Scored:
    """A round's scoring, kept for the what-if (and its sensitivity once computed)."""

    key: tuple  # ("pub", publication id) or ("round", round id) for a locked round not yet published
    result: object  # jxscore.core.engine.Result
    sensitivity: object | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Source:
    """What a what-if runs on: a published version (its stored inputs) or a locked round's submissions."""

    key: tuple
    rnd: Round
    pub: Publication | None

    @property
    def label(self) -> str:
        return f"第 {self.pub.version} 版发布结果" if self.pub else "锁定数据预览（尚未发布）"

    @property
    def version(self) -> int | None:
        return self.pub.version if self.pub else None


_scoring_lock = threading.Lock()


def source(s: Session, year: int, v: int | None) -> Source:
    """The published version asked for (latest without `v`), else the locked round's preview; else 404."""
    pub = views.published(s, year, v)
    if pub is not None:
        if not _has_inputs(s, pub):
            raise HTTPException(404)  # published without its input tables: nothing to re-evaluate
        return Source(("pub", pub.id), pub.round, pub)
    rnd = s.scalars(select(Round).where(Round.year == year)).first()
    if v is None and rnd is not None and rnd.state == "locked" and rnd.office_file_id is not None:
        return Source(("round", rnd.id), rnd, None)
    raise HTTPException(404)


def scored(request: Request, s: Session, src: Source) -> Scored:
    """The source's Result, scored once per app (InputError when a locked round's data do not collect)."""
    portal = request.app.state.portal
    cache: dict = portal.extra.setdefault("whatif", {})
    hit = cache.get(src.key)
    if hit is not None:
        return hit
    with _scoring_lock:  # one scoring per source, however many requests arrive at once
        hit = cache.get(src.key)
        if hit is None:
            result = _score_pub(s, src.pub) if src.pub is not None else _score_round(portal, src.rnd)
            hit = cache[src.key] = Scored(src.key, result)
    return hit


def _score_round(portal, rnd: Round):
    """A locked round's clean submissions collected as publishing would (`publish.collected_data`), scored."""
    from jxscore import service
    from jxscore.portal import publish

    with tempfile.TemporaryDirectory(prefix="jxscore-whatif-") as tmp:
        data, crit = publish.collected_data(portal.sessions, rnd.id, Path(tmp))
        result, _ = service.run_score(service.RunOptions(rnd.year, data, crit), explain=False)
    return result


def _score_pub(s: Session, pub: Publication):
    from jxscore import service

    rows = s.execute(select(Document.kind, StoredFile.data).join(StoredFile, Document.file_id == StoredFile.id)
                     .where(Document.publication_id == pub.id, Document.city == "")).all()
    params = {}
    for kind, data in rows:
        if kind == "manifest":
            params = json.loads(data.decode("utf-8")).get("parameters", {})
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, crit = Path(tmp) / "data", Path(tmp) / "criteria.toml"
        data_dir.mkdir()
        crit.write_bytes(pub.round.criteria_file.data)
        for kind, data in rows:
            name = kind.removeprefix("input:")
            if kind.startswith("input:") and name == Path(name).name and not name.startswith("."):
                (data_dir / name).write_bytes(data)  # the name the publisher's data folder had; no path part
        result, _ = service.run_score(service.RunOptions(pub.round.year, data_dir, crit,
                                                         allow_missing=bool(params.get("allow_missing"))),
                                      explain=False)
    return result


def _has_inputs(s: Session, pub: Publication) -> bool:
    return s.scalar(select(Document.id).where(Document.publication_id == pub.id,
                                              Document.kind.like("input:%")).limit(1)) is not None


def _sliders(result) -> list[dict]:
    """Categories, each with its indicators: code, name, rulebook points, bonus (shown, not adjustable)."""
    b, crit = result.basis, result.criteria
    names = {i.code: i.name for i in crit.indicators}
    cats = []
    for ci, k in enumerate(crit.categories):
        idx = [j for j, c in enumerate(b.category_of) if c == ci]
        inds = [{"code": b.codes[j], "name": names.get(b.codes[j], ""), "points": float(b.points[j])} for j in idx]
        cats.append({"code": k.code, "name": k.name, "bonus": bool(k.bonus),
                     "points": float(k.points) if k.bonus else sum(x["points"] for x in inds), "indicators": inds})
    return cats


@router.get("/office/{year}/whatif")
def whatif_page(request: Request, year: int, v: int | None = None, user: User = Depends(office),
                s: Session = DB) -> Response:
    from jxscore.core.problems import JxError

    src = source(s, year, v)
    try:
        sc = scored(request, s, src)
    except JxError as e:
        from jxscore.i18n import problem_rows

        return render(request, "whatif.html", title=f"{year}年度权重情景分析", year=year, src=src,
                      problems=problem_rows(e.problems, "zh"), latest=_latest(s, year))
    return render(request, "whatif.html", title=f"{year}年度权重情景分析", year=year, src=src, problems=None,
                  cats=_sliders(sc.result), vetoes=list(sc.result.basis.veto_codes),
                  caps=list(sc.result.basis.cap_codes), sensitivity=_sensitivity(sc), latest=_latest(s, year))


def _latest(s: Session, year: int) -> int | None:
    pub = views.published(s, year)
    return None if pub is None else pub.version


def _sensitivity(sc: Scored) -> dict:
    """The round's sensitivity (Monte Carlo over the weights, ±25 %), computed once and kept."""
    with sc.lock:
        if sc.sensitivity is None:
            from jxscore.analysis.sensitivity import SensitivityOptions, run_sensitivity

            sc.sensitivity = run_sensitivity(sc.result, SensitivityOptions(samples=SENSITIVITY_SAMPLES))
    se = sc.sensitivity
    ranks = [{"city": r.city, "nominal": int(r.nominal_rank), "median": int(r.median_rank),
              "p05": int(r.rank_p05), "p95": int(r.rank_p95), "min": int(r.rank_min), "max": int(r.rank_max),
              "p_nominal": float(r.p_nominal_rank)} for r in se.ranks.itertuples()]
    grades = {r.city: float(r.p_nominal_grade) for r in se.grades.itertuples()}
    for r in ranks:
        r["p_grade"] = grades.get(r["city"], 0.0)
    idx = se.indices[se.indices["output"] == "mean_abs_rank_shift"]
    from jxscore.analysis.sensitivity import index_text

    # as the sensitivity PDF prints them: with the 95 % interval, a negative estimate (noise) as ≈0
    indices = [{"factor": r.factor, "name": se.factor_names.get(r.factor, ""),
                "S1": index_text(r.S1, r.S1_low, r.S1_high), "ST": index_text(r.ST, r.ST_low, r.ST_high)}
               for r in idx.itertuples()]
    return {"samples": se.options.samples, "band": se.options.band, "ranks": ranks, "indices": indices}


def _problem_json(problems) -> JSONResponse:
    from jxscore.i18n import problem_record

    recs = [{k: v for k, v in problem_record(p, "zh").items() if k in ("code", "path", "value", "message")}
            for p in problems]
    return JSONResponse({"problems": recs}, status_code=400)


def parse_query(request: Request, result):
    """The scenario a query asks for (`A1=25&C=40&rescale=0&vetoes_off=V1`), or every problem with it."""
    from jxscore.analysis.scenario import Scenario, check_scenario, parse_sets
    from jxscore.core.problems import Code, Problem, ScenarioError

    problems: list = []
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in RESERVED]
    if len(items) > MAX_SETTINGS:
        items = items[:MAX_SETTINGS]
    points = parse_sets([f"{k}={v}" for k, v in items], problems)
    q = request.query_params
    rescale = q.get("rescale", "true").strip().lower()
    if rescale not in _SWITCH:  # the message says true或false (as a scenario file's rescale); 1/0 pass too
        problems.append(Problem.make(Code.SCENARIO_VALUE, path="rescale", value=rescale, expected="@expected.bool"))
    off = {k: frozenset(c for c in (q.get(k) or "").split(",") if c) for k in ("vetoes_off", "caps_off")}
    try:  # every code, including those whose value was refused, so one answer lists everything
        check_scenario(result.basis, Scenario(points={k: 1.0 for k, _ in items}, vetoes_off=off["vetoes_off"],
                                              caps_off=off["caps_off"]))
    except ScenarioError as e:
        problems += e.problems
    if problems:
        raise ScenarioError(problems)
    return Scenario(points=points, vetoes_off=off["vetoes_off"], caps_off=off["caps_off"],
                    rescale=_SWITCH.get(rescale, True), source="--set")


@router.get("/office/{year}/whatif.json")
def whatif_json(request: Request, year: int, v: int | None = None, user: User = Depends(office),
                s: Session = DB) -> Response:
    from jxscore.analysis.whatif import SIGN_NOTE, compute_whatif, settings
    from jxscore.core.problems import JxError

    src = source(s, year, v)
    try:
        result = scored(request, s, src).result
        w = compute_whatif(result, parse_query(request, result))
    except JxError as e:  # a bad scenario (ScenarioError), or a locked round whose data do not collect
        return _problem_json(e.problems)
    slug = request.app.state.portal.slug_by_city
    t = w.table
    cities = [{"city": r.city, "slug": slug.get(r.city, ""), "base_total": round(float(r.baseline_total), 2),
               "base_grade": r.baseline_grade, "base_rank": int(r.baseline_rank), "total": round(float(r.total), 2),
               "grade": r.grade, "rank": int(r.rank), "delta": round(float(r.delta_total), 2),
               "rank_change": int(r.rank_change), "moved": bool(r.moved),
               "vetoes": ";".join(r.vetoes), "caps": ";".join(r.caps),
               "why": r.why} for r in t.sort_values(["rank", "baseline_rank"], kind="stable").itertuples()]
    weights = [{"code": r.code, "level": r.level, "category": r.category, "name": r.name,
                "baseline_points": round(float(r.baseline_points), 2), "points": round(float(r.points), 2)}
               for r in w.weights_table.itertuples()]
    return JSONResponse({"year": year, "version": src.version, "source": src.label, "description": w.describe(),
                         "settings": settings(w),
                         "sign_note": SIGN_NOTE, "weights": weights, "cities": cities,
                         "movers": [c["city"] for c in cities if c["moved"]]})
