"""What a published round shows: the ranking, one city's card, its history — read from the stored documents.

Nothing here scores: every figure comes from the scores, ledger and verification CSVs `service.report`
wrote and `publish.store_outputs` stored. Parsed documents are cached by the file's SHA-256 (a stored file
never changes), so a page reads the database for ids and hashes only.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jxscore.portal.models import Document, Publication, Round, StoredFile

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")  # fullmatch: a plain decimal number
SHOWN = 0.005  # points below this do not show in a two-decimal figure


class _LRU:
    """A small thread-safe LRU of parsed documents keyed by SHA-256 (same bytes → same parse)."""

    def __init__(self, size: int = 64):
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str, make: Callable[[], object]) -> object:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        value = make()  # outside the lock: two threads may parse the same file once each, harmlessly
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return value


_cache = _LRU()


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _num(v: str) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _codes(v: str) -> tuple[str, ...]:
    return tuple(c for c in (v or "").split(";") if c)


# ------------------------------------------------------------------ publications

def _put_up():
    """A version a city may read: one that has entered 公示 (its results are no longer the office's draft)."""
    from sqlalchemy import exists

    from jxscore.portal.models import StageEvent

    return exists(select(StageEvent.id).where(StageEvent.round_id == Publication.round_id,
                                              StageEvent.version == Publication.version))


def published(s: Session, year: int, version: int | None = None, *, for_city: bool = False) -> Publication | None:
    """The latest done version of `year`'s round (or that `version`, when done; of a version re-scored during
    复查, its latest revision); None before publication — for a city, before the version entered 公示."""
    q = (select(Publication).join(Round, Publication.round_id == Round.id)
         .where(Round.year == year, Publication.status == "done"))
    if for_city:
        q = q.where(_put_up())
    if version is not None:
        q = q.where(Publication.version == version)
    return s.scalars(q.order_by(Publication.version.desc(), Publication.revision.desc()).limit(1)).first()


def versions(s: Session, year: int, *, for_city: bool = False) -> list[int]:
    """The done versions of a year, newest first (for the 'older versions' links)."""
    q = (select(Publication.version).join(Round, Publication.round_id == Round.id)
         .where(Round.year == year, Publication.status == "done"))
    if for_city:
        q = q.where(_put_up())
    return list(s.scalars(q.distinct().order_by(Publication.version.desc())))


def _doc_file(s: Session, pub: Publication, kind: str, city: str = "") -> tuple[str, str] | None:
    """(file id, sha256) of one document of `pub`."""
    row = s.execute(select(StoredFile.id, StoredFile.sha256).join(Document, Document.file_id == StoredFile.id)
                    .where(Document.publication_id == pub.id, Document.kind == kind, Document.city == city)).first()
    return None if row is None else (row[0], row[1])


def document(s: Session, pub: Publication, kind: str, city: str = "") -> StoredFile | None:
    """The stored file of one document (its bytes, hash and media type), or None."""
    ref = _doc_file(s, pub, kind, city)
    return None if ref is None else s.get(StoredFile, ref[0])


def _parsed(s: Session, pub: Publication, kind: str) -> list[dict[str, str]]:
    ref = _doc_file(s, pub, kind)
    if ref is None:
        return []
    fid, sha = ref
    return _cache.get(f"csv:{sha}", lambda: _rows(s.get(StoredFile, fid).data))  # type: ignore[return-value]


@dataclass(frozen=True)
class Names:
    """What the round's criteria call its categories, vetoes and caps (for the words on a page)."""

    categories: dict[str, str]  # code → name, weighted categories and bonus alike
    bonus: frozenset[str]
    category_points: dict[str, float]
    vetoes: dict[str, str]  # code → reason
    caps: dict[str, str]


def round_criteria(s: Session, rnd: Round):
    """The round's criteria as loaded by the core (cached by the file's hash)."""
    f = rnd.criteria_file

    def load():
        from jxscore.core.criteria import load_criteria

        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "criteria.toml"
            p.write_bytes(f.data)
            return load_criteria(p)

    return _cache.get(f"criteria:{f.sha256}", load)


def names(s: Session, rnd: Round) -> Names:
    c = round_criteria(s, rnd)
    return Names({k.code: k.name for k in c.categories}, frozenset(k.code for k in c.categories if k.bonus),
                 {k.code: float(k.points) for k in c.categories},
                 {v.code: v.reason for v in c.vetoes}, {g.code: g.reason for g in c.caps})


# ------------------------------------------------------------------ the ranking

@dataclass(frozen=True)
class RankRow:
    rank: int
    city: str
    city_code: str
    total: float
    grade: str
    base_grade: str  # the grade by score alone, before vetoes and caps
    vetoes: tuple[str, ...]
    caps: tuple[str, ...]
    exempt: tuple[str, ...]
    missing: tuple[str, ...]
    categories: dict[str, float]  # A B C D points


def _categories(header: list[str]) -> list[str]:
    """The category columns of scores.csv: between `total` and `vetoes`."""
    try:
        return header[header.index("total") + 1:header.index("vetoes")]
    except ValueError:
        return []


def _rank_row(r: dict[str, str], cats: list[str]) -> RankRow:
    return RankRow(int(r["rank"]), r["city"], r.get("city_code", ""), _num(r["total"]) or 0.0, r["grade"],
                   r.get("base_grade", ""), _codes(r.get("vetoes", "")), _codes(r.get("caps", "")),
                   _codes(r.get("exempt", "")), _codes(r.get("missing", "")),
                   {c: _num(r.get(c, "")) or 0.0 for c in cats})


def ranking(s: Session, pub: Publication) -> list[RankRow]:
    """The published provincial ranking, rank order (scores.csv as stored)."""
    rows = _parsed(s, pub, "scores")
    if not rows:
        return []
    cats = _categories(list(rows[0].keys()))
    return sorted((_rank_row(r, cats) for r in rows), key=lambda r: (r.rank, r.city_code))


def category_codes(s: Session, pub: Publication) -> list[str]:
    rows = _parsed(s, pub, "scores")
    return _categories(list(rows[0].keys())) if rows else []


# ------------------------------------------------------------------ one city

@dataclass(frozen=True)
class LedgerRow:
    category: str
    indicator: str
    name: str
    unit: str
    actual: float | None
    target: float | None
    fraction: float | None
    points_nominal: float | None
    weight: float | None  # the points it counts for (after §4 renormalisation)
    points: float | None
    flags: tuple[str, ...]
    note: str
    source: str

    @property
    def lost(self) -> float:
        """Points short of full marks (0 for a bonus item that cannot be lost)."""
        if self.weight is None or self.points is None:
            return 0.0
        return max(0.0, round(self.weight - self.points, 6))


TABLE_NAMES = {"projects": "重点工程项目表", "reviews": "专家评审表", "indicators": "指标表", "energy": "能源表",
               "targets": "目标表"}


@dataclass(frozen=True)
class Finding:
    code: str
    key: str  # the project or indicator the finding is about
    table: str
    row: str  # the row in the input table, as the clerk's file numbers it
    excluded: bool  # the claim was not counted
    detail: str

    @property
    def table_name(self) -> str:
        return TABLE_NAMES.get(self.table, self.table)


@dataclass(frozen=True)
class Loss:
    """One indicator where the city lost points: what a clerk can act on, largest first."""

    indicator: str
    name: str
    lost: float
    points: float
    weight: float
    actual: float | None
    target: float | None
    unit: str
    note: str


@dataclass
class CityCard:
    pub: Publication
    year: int
    version: int
    city: str
    row: RankRow
    n_cities: int
    ledger: list[LedgerRow]
    findings: list[Finding]
    losses: list[Loss]
    lost_total: float
    vetoes: list[tuple[str, str]]  # (code, reason)
    caps: list[tuple[str, str]]
    categories: list[tuple[str, str, float, float | None]] = field(default_factory=list)  # code, name, points, max


def _ledger_row(r: dict[str, str]) -> LedgerRow:
    return LedgerRow(r.get("category", ""), r.get("indicator", ""), r.get("name", ""), r.get("unit", ""),
                     _num(r.get("actual", "")), _num(r.get("target", "")), _num(r.get("fraction", "")),
                     _num(r.get("points_nominal", "")), _num(r.get("weight", "")), _num(r.get("points", "")),
                     _codes(r.get("flags", "")), r.get("note", ""), r.get("source", ""))


def city_ledger_rows(s: Session, pub: Publication, city: str) -> tuple[list[str], list[dict[str, str]]]:
    """The stored ledger's header and the rows of `city` only, as stored (for ledger.csv)."""
    rows = _parsed(s, pub, "ledger")
    header = list(rows[0].keys()) if rows else []
    return header, [r for r in rows if r.get("city") == city]


def city_card(s: Session, pub: Publication, city: str) -> CityCard | None:
    """`city`'s scores row, ledger, findings and losses in `pub`; None when the city is not in it."""
    table = ranking(s, pub)
    row = next((r for r in table if r.city == city), None)
    if row is None:
        return None
    rnd = pub.round
    nm = names(s, rnd)
    ledger = [_ledger_row(r) for r in _parsed(s, pub, "ledger") if r.get("city") == city]
    findings = sorted((Finding(r.get("code", ""), r.get("key", ""), r.get("table", ""), r.get("row", ""),
                               r.get("excluded", "0") == "1", r.get("detail", ""))
                       for r in _parsed(s, pub, "verification") if r.get("city") == city),
                      key=lambda f: (not f.excluded, f.table, f.key, f.code))
    losses = sorted((Loss(x.indicator, x.name, x.lost, x.points or 0.0, x.weight or 0.0, x.actual, x.target,
                          x.unit, x.note)
                     for x in ledger if x.category not in nm.bonus and x.lost >= SHOWN),
                    key=lambda x: -x.lost)
    cats = [(c, nm.categories.get(c, c), row.categories.get(c, 0.0), nm.category_points.get(c))
            for c in row.categories]
    return CityCard(pub, rnd.year, pub.version, city, row, len(table), ledger, findings, losses,
                    round(sum(x.lost for x in losses), 2),
                    [(v, nm.vetoes.get(v, "")) for v in row.vetoes], [(g, nm.caps.get(g, "")) for g in row.caps],
                    cats)


@dataclass(frozen=True)
class HistoryRow:
    year: int
    version: int
    rank: int
    n_cities: int
    total: float
    grade: str


def city_history(s: Session, city: str, *, for_city: bool = True) -> list[HistoryRow]:
    """`city` in every year's latest published version, oldest first (a year it is missing from is left out)."""
    years = s.scalars(select(Round.year).order_by(Round.year))
    out = []
    for y in years:
        pub = published(s, y, for_city=for_city)
        if pub is None:
            continue
        table = ranking(s, pub)
        row = next((r for r in table if r.city == city), None)
        if row is not None:
            out.append(HistoryRow(y, pub.version, row.rank, len(table), row.total, row.grade))
    return out


def ledger_csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    """One city's ledger rows as CSV bytes (BOM, LF), every text cell through the writers' formula guard."""
    from jxscore.io.writers import safe_text

    def cell(v: str) -> str:
        return v if _NUMBER.fullmatch(v) else safe_text(v)  # a stored number (-0.08) stays a number

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([cell(h) for h in header])
    for r in rows:
        w.writerow([cell(r.get(h) or "") for h in header])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
