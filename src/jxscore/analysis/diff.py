"""What moved between two scored runs of one year (issue 15, 复查): `jxscore diff --from A --to B`.

After accepted objections correct the data, the round is re-scored with the same engine; the office
and the cities must see exactly what changed: every city whose total, grade or rank moved, and every
ledger row that changed in a scored column (actual, target, fraction, weight, points, flags), with its
old and new values. Two runs are comparable only when they score the same year with the same criteria
file (manifest.json), so a difference is a change of data, never of rules.

Values are compared as the CSV files show them (numbers at 10 significant digits, codes and flags as
`a;b` text), so the engine's frames in memory (`diff_frames`, for the portal) and the same run read
back from its folder (`diff_runs`) give the same diff.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from jxscore.core.problems import Code, InputError, Problem

FILES = ("scores.csv", "ledger.csv", "manifest.json")
SCORE_COLUMNS = ("rank", "city", "grade", "total", "vetoes", "caps")
LEDGER_COLUMNS = ("city", "indicator", "actual", "target", "fraction", "weight", "points", "flags", "note")
LEDGER_NUMBERS = ("actual", "target", "fraction", "weight", "points")
LEDGER_OPTIONAL = ("actual", "target", "fraction")  # empty where an indicator does not apply
SCORED = ("actual", "target", "fraction", "weight", "points", "flags")  # a change here is a changed row
CITY_FIELDS = ("total", "grade", "rank", "vetoes", "caps")
MOVED = ("total", "grade", "rank")  # a city is listed when one of these changed
CSV_COLUMNS = ["kind", "city", "code", "fields", "actual_old", "actual_new", "target_old", "target_new",
               "fraction_old", "fraction_new", "weight_old", "weight_new", "points_old", "points_new",
               "flags_old", "flags_new", "total_old", "total_new", "grade_old", "grade_new", "rank_old", "rank_new",
               "vetoes_old", "vetoes_new", "caps_old", "caps_new", "cause", "note_old", "note_new"]
_TEXT_COLUMNS = {"kind", "city", "code", "fields", "flags_old", "flags_new", "grade_old", "grade_new", "vetoes_old",
                 "vetoes_new", "caps_old", "caps_new", "cause", "note_old", "note_new"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CityChange:
    """A city whose total, grade or rank moved; `fields` names what changed (vetoes and caps too)."""

    city: str
    fields: tuple[str, ...]
    total_old: float
    total_new: float
    grade_old: str
    grade_new: str
    rank_old: int
    rank_new: int
    vetoes_old: str = ""
    vetoes_new: str = ""
    caps_old: str = ""
    caps_new: str = ""


@dataclass(frozen=True)
class RowChange:
    """A ledger row (city × indicator) that changed in a scored column; `cause` is what the portal knows
    caused it (an objection id), None from the files alone."""

    city: str
    code: str
    fields: tuple[str, ...]
    actual_old: float | None
    actual_new: float | None
    target_old: float | None
    target_new: float | None
    fraction_old: float | None
    fraction_new: float | None
    weight_old: float | None
    weight_new: float | None
    points_old: float | None
    points_new: float | None
    flags_old: str = ""
    flags_new: str = ""
    note_old: str = ""
    note_new: str = ""
    cause: str | None = None


@dataclass(frozen=True)
class Diff:
    """Run A against run B: moved cities (B's order: administrative, as the ledger) and changed rows."""

    cities: list[CityChange]
    rows: list[RowChange]
    year: int | None = None
    input_hash_old: str = ""
    input_hash_new: str = ""
    city_order: tuple[str, ...] = ()  # every city of B, in its ledger's (administrative) order
    warnings: list = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not self.cities and not self.rows

    def with_causes(self, causes: dict[tuple[str, str], str]) -> Diff:
        """The same diff, each row whose (city, code) is in `causes` carrying that cause (objection id)."""
        rows = [replace(r, cause=causes[(r.city, r.code)]) if (r.city, r.code) in causes else r for r in self.rows]
        return replace(self, rows=rows)


# ------------------------------------------------------------------ values as the CSV shows them

def _num(v: object) -> float | None:
    """A number as written (%.10g, writers.write_csv); None for an empty cell."""
    if v is None or (isinstance(v, str) and v.strip() == ""):
        return None
    x = float(v)  # type: ignore[arg-type]
    if math.isnan(x):
        return None
    return float(f"{x:.10g}")


def _text(v: object) -> str:
    """Codes, flags and notes as written (tuples as `a;b`, flags by label), a CSV's `'` guard undone."""
    from jxscore.io.writers import cell_text

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    s = str(cell_text(v))
    return s[1:] if s.startswith("'") and s[1:].startswith(_FORMULA_START) else s


def _rank(v: object) -> int | None:
    x = _num(v)
    return None if x is None else int(x)


# ------------------------------------------------------------------ comparing

def _keyed_scores(scores: pd.DataFrame) -> dict[str, dict]:
    out = {}
    for r in scores.to_dict("records"):
        out[_text(r["city"])] = {"total": _num(r["total"]), "grade": _text(r["grade"]), "rank": _rank(r["rank"]),
                                 "vetoes": _text(r["vetoes"]), "caps": _text(r["caps"])}
    return out


def _keyed_ledger(ledger: pd.DataFrame) -> dict[tuple[str, str], dict]:
    out = {}
    for r in ledger.to_dict("records"):
        rec = {c: _num(r[c]) for c in LEDGER_NUMBERS}
        rec |= {"flags": _text(r["flags"]), "note": _text(r.get("note", ""))}
        out[(_text(r["city"]), _text(r["indicator"]))] = rec
    return out


def _unmatched(a: dict, b: dict) -> list[Problem]:
    """Keys of one run the other lacks (frames in memory: no file to name)."""
    probs = []
    for key in a.keys() - b.keys():
        probs.append(Problem.make(Code.RUN_ROW_MISSING, city=key if isinstance(key, str) else key[0],
                                  key=key if isinstance(key, str) else " ".join(key), other="--to"))
    for key in b.keys() - a.keys():
        probs.append(Problem.make(Code.RUN_ROW_MISSING, city=key if isinstance(key, str) else key[0],
                                  key=key if isinstance(key, str) else " ".join(key), other="--from"))
    return probs


def diff_frames(scores_a: pd.DataFrame, ledger_a: pd.DataFrame, scores_b: pd.DataFrame,
                ledger_b: pd.DataFrame) -> Diff:
    """The diff of two runs held as frames: the engine's `Result.scores`/`Result.ledger` or the same
    tables read from CSV. Raises InputError when the runs do not have the same cities and rows."""
    sa, sb = _keyed_scores(scores_a), _keyed_scores(scores_b)
    la, lb = _keyed_ledger(ledger_a), _keyed_ledger(ledger_b)
    problems = _unmatched(sa, sb) + _unmatched(la, lb)
    if problems:
        raise InputError(problems)
    order = list(dict.fromkeys(k[0] for k in lb))  # cities in the ledger's (administrative) order
    order += [c for c in sb if c not in order]
    cities = []
    for c in order:
        old, new = sa[c], sb[c]
        changed = tuple(f for f in CITY_FIELDS if old[f] != new[f])
        if any(f in MOVED for f in changed):
            cities.append(CityChange(c, changed, old["total"], new["total"], old["grade"], new["grade"],
                                     old["rank"], new["rank"], old["vetoes"], new["vetoes"], old["caps"], new["caps"]))
    rows = []
    rank = {c: i for i, c in enumerate(order)}
    for key in sorted(lb, key=lambda k: rank[k[0]]):  # stable: each city's rows in the ledger's order
        old, new = la[key], lb[key]
        changed = tuple(f for f in SCORED if old[f] != new[f])
        if changed:
            rows.append(RowChange(key[0], key[1], changed,
                                  *(v for f in LEDGER_NUMBERS for v in (old[f], new[f])),
                                  old["flags"], new["flags"], old["note"], new["note"]))
    return Diff(cities, rows, city_order=tuple(order))


# ------------------------------------------------------------------ reading two output folders

@dataclass
class _Run:
    """One folder as read: its tables as frames (None where unusable), manifest, and where rows came from."""

    label: str  # --from / --to
    folder: Path
    scores: pd.DataFrame | None = None
    ledger: pd.DataFrame | None = None
    manifest: dict | None = None
    score_rows: dict[str, int] = field(default_factory=dict)  # city → line in scores.csv
    ledger_rows: dict[tuple[str, str], int] = field(default_factory=dict)

    def file(self, name: str) -> str:
        return str(self.folder / name)


def _table(run: _Run, name: str, columns: tuple[str, ...], numbers: tuple[str, ...], optional: tuple[str, ...],
           key: tuple[str, ...], problems: list[Problem]) -> tuple[pd.DataFrame | None, dict]:
    """A CSV written by `jxscore score`, read with the project's reader and checked cell by cell."""
    from jxscore.io.readers import read_csv_table
    from jxscore.io.writers import LEDGER_HEADERS, SCORES_HEADERS

    labels = SCORES_HEADERS | LEDGER_HEADERS
    file = run.file(name)
    found: list[Problem] = []
    t = read_csv_table(name.removesuffix(".csv"), run.folder / name, found)
    problems += [replace(p, file=file) for p in found]
    if t is None:
        return None, {}
    missing = [c for c in columns if c not in t.header]
    for c in missing:
        problems.append(Problem.make(Code.MISSING_COLUMN, file=file, row=1, column=c, label=labels.get(c, c)))
    if missing:
        return None, {}
    idx = {c: t.header.index(c) for c in columns}
    records, where, bad = [], {}, False
    for cells, line in zip(t.cells, t.rows):
        rec: dict[str, object] = {}
        for c in columns:
            v = cells[idx[c]]
            loc = {"file": file, "row": line, "column": c, "city": cells[idx["city"]]}
            if c in numbers or c == "rank":
                if v == "":
                    if c not in optional:
                        problems.append(Problem.make(Code.MISSING_VALUE, **loc, why="@why.required",
                                                     label=labels.get(c, c)))
                        bad = True
                    rec[c] = None
                    continue
                try:
                    x = float(v)
                    ok = math.isfinite(x) and (c != "rank" or (x == int(x) and x >= 1))
                except ValueError:
                    ok = False
                if not ok:
                    what = "@what.rank" if c == "rank" else "@what.number"
                    problems.append(Problem.make(Code.NOT_A_NUMBER, **loc, value=v, what=what, label=labels.get(c, c)))
                    bad = True
                    continue
                rec[c] = x
            elif c in key and v == "":
                problems.append(Problem.make(Code.MISSING_VALUE, **loc, why="@why.required", label=labels.get(c, c)))
                bad = True
            else:
                rec[c] = v
        k = tuple(str(cells[idx[c]]) for c in key)
        k = k[0] if len(k) == 1 else k
        if k in where:
            problems.append(Problem.make(Code.DUPLICATE_KEY, file=file, row=line, column=key[-1],
                                         city=cells[idx["city"]], value=" ".join(k) if isinstance(k, tuple) else k,
                                         key=" ".join(k) if isinstance(k, tuple) else k, first=where[k]))
            bad = True
        else:
            where[k] = line
        records.append(rec)
    return (None if bad else pd.DataFrame(records, columns=list(columns))), where


def _manifest(run: _Run, problems: list[Problem]) -> dict | None:
    from jxscore.io.readers import MAX_CSV_BYTES

    file = run.file("manifest.json")
    try:
        with (run.folder / "manifest.json").open("rb") as f:
            raw = f.read(MAX_CSV_BYTES + 1)  # a manifest is ~1 KB: never read a huge file whole
        if len(raw) > MAX_CSV_BYTES:
            problems.append(Problem.make(Code.TABLE_TOO_LARGE, file=file, reason="@limit.bytes",
                                         limit=f"{MAX_CSV_BYTES // 2**20} MB"))
            return None
        data = json.loads(raw.decode("utf-8-sig"))
    except json.JSONDecodeError as e:
        problems.append(Problem.make(Code.MANIFEST_INVALID, file=file, row=e.lineno, reason="@why.manifest_json"))
        return None
    except (OSError, UnicodeDecodeError) as e:
        problems.append(Problem.make(Code.FILE_UNREADABLE, file=file, reason=getattr(e, "strerror", None)
                                     or type(e).__name__))
        return None
    ok = True
    if not isinstance(data, dict):
        problems.append(Problem.make(Code.MANIFEST_INVALID, file=file, reason="@why.manifest_field", field="year"))
        return None
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        problems.append(Problem.make(Code.MANIFEST_INVALID, file=file, column="year", value=year,
                                     reason="@why.manifest_field", field="year"))
        ok = False
    crit = data.get("criteria")
    if not isinstance(crit, dict) or not crit or not all(isinstance(v, str) for v in crit.values()):
        problems.append(Problem.make(Code.MANIFEST_INVALID, file=file, column="criteria",
                                     reason="@why.manifest_field", field="criteria"))
        ok = False
    return data if ok else None


def _read(label: str, folder: Path, problems: list[Problem]) -> _Run:
    run = _Run(label, Path(folder))
    try:
        is_dir = run.folder.is_dir()
    except OSError:
        is_dir = False
    if not is_dir:
        problems.append(Problem.make(Code.RUN_FOLDER, file=str(folder), value=str(folder), option=label))
        return run
    present = []
    for name in FILES:
        if (run.folder / name).is_file():
            present.append(name)
        else:
            problems.append(Problem.make(Code.FILE_MISSING, file=run.file(name), name=name))
    if "scores.csv" in present:
        run.scores, run.score_rows = _table(run, "scores.csv", SCORE_COLUMNS, ("total",), (), ("city",), problems)
    if "ledger.csv" in present:
        run.ledger, run.ledger_rows = _table(run, "ledger.csv", LEDGER_COLUMNS, LEDGER_NUMBERS, LEDGER_OPTIONAL,
                                             ("city", "indicator"), problems)
    if "manifest.json" in present:
        run.manifest = _manifest(run, problems)
    return run


def _missing_rows(a: _Run, b: _Run, problems: list[Problem]) -> None:
    """Rows of one table the other lacks, each named where it is (file and line)."""
    pairs = []
    if a.scores is not None and a.ledger is not None:  # within a run: every city in both tables
        pairs += [(a, a.score_rows, "scores.csv", set(k[0] for k in a.ledger_rows), "ledger.csv")]
    if b.scores is not None and b.ledger is not None:
        pairs += [(b, b.score_rows, "scores.csv", set(k[0] for k in b.ledger_rows), "ledger.csv")]
    for run, rows, name, other, other_name in pairs:
        for city, line in rows.items():
            if city not in other:
                problems.append(Problem.make(Code.RUN_ROW_MISSING, file=run.file(name), row=line, city=city,
                                             key=city, other=run.file(other_name)))
    for x, y in ((a, b), (b, a)):
        if x.scores is not None and y.scores is not None:
            for city, line in x.score_rows.items():
                if city not in y.score_rows:
                    problems.append(Problem.make(Code.RUN_ROW_MISSING, file=x.file("scores.csv"), row=line,
                                                 city=city, key=city, other=y.file("scores.csv")))
        if x.ledger is not None and y.ledger is not None:
            for k, line in x.ledger_rows.items():
                if k not in y.ledger_rows:
                    problems.append(Problem.make(Code.RUN_ROW_MISSING, file=x.file("ledger.csv"), row=line,
                                                 city=k[0], column="indicator", key=" ".join(k),
                                                 other=y.file("ledger.csv")))


def _same_run_kind(a: _Run, b: _Run, problems: list[Problem]) -> None:
    """The same year and the same criteria file (by SHA-256), else the runs are not comparable."""
    if a.manifest is None or b.manifest is None:
        return
    file = b.file("manifest.json")
    if a.manifest["year"] != b.manifest["year"]:
        problems.append(Problem.make(Code.DIFF_YEAR, file=file, column="year", value=b.manifest["year"],
                                     old=a.manifest["year"], new=b.manifest["year"]))
    old, new = sorted(a.manifest["criteria"].values()), sorted(b.manifest["criteria"].values())
    if old != new:
        problems.append(Problem.make(Code.DIFF_CRITERIA, file=file, column="criteria", value=";".join(new)[:12],
                                     old=";".join(old)[:12], new=";".join(new)[:12]))


def diff_runs(a: Path, b: Path) -> Diff:
    """Compare two `jxscore score` output folders (A old, B new). Every problem of both folders — a
    missing file, a malformed CSV cell, another year or criteria file, rows only one run has — is
    raised together (InputError), located by file, line and column."""
    problems: list[Problem] = []
    ra, rb = _read("--from", Path(a), problems), _read("--to", Path(b), problems)
    _same_run_kind(ra, rb, problems)
    _missing_rows(ra, rb, problems)
    if problems:
        raise InputError(problems)
    assert ra.scores is not None and ra.ledger is not None and rb.scores is not None and rb.ledger is not None
    assert ra.manifest is not None and rb.manifest is not None
    d = diff_frames(ra.scores, ra.ledger, rb.scores, rb.ledger)
    return replace(d, year=rb.manifest["year"], input_hash_old=str(ra.manifest.get("input_hash", "")),
                   input_hash_new=str(rb.manifest.get("input_hash", "")))


# ------------------------------------------------------------------ diff.csv

def diff_frame(d: Diff) -> pd.DataFrame:
    """diff.csv: per city (B's order) its `city` row when it moved, then its changed `ledger` rows."""
    recs: dict[str, list[dict]] = {}
    for c in d.cities:
        recs.setdefault(c.city, []).append({
            "kind": "city", "city": c.city, "code": "", "fields": ";".join(c.fields),
            "total_old": c.total_old, "total_new": c.total_new, "grade_old": c.grade_old, "grade_new": c.grade_new,
            "rank_old": c.rank_old, "rank_new": c.rank_new, "vetoes_old": c.vetoes_old, "vetoes_new": c.vetoes_new,
            "caps_old": c.caps_old, "caps_new": c.caps_new})
    for r in d.rows:
        recs.setdefault(r.city, []).append({
            "kind": "ledger", "city": r.city, "code": r.code, "fields": ";".join(r.fields),
            "actual_old": r.actual_old, "actual_new": r.actual_new, "target_old": r.target_old,
            "target_new": r.target_new, "fraction_old": r.fraction_old, "fraction_new": r.fraction_new,
            "weight_old": r.weight_old, "weight_new": r.weight_new, "points_old": r.points_old,
            "points_new": r.points_new, "flags_old": r.flags_old, "flags_new": r.flags_new,
            "cause": r.cause or "", "note_old": r.note_old, "note_new": r.note_new})
    order = [c for c in d.city_order if c in recs] + [c for c in recs if c not in d.city_order]
    df = pd.DataFrame.from_records([rec for c in order for rec in recs[c]], columns=CSV_COLUMNS)
    for c in CSV_COLUMNS:
        if c in ("rank_old", "rank_new"):
            df[c] = pd.array([None if pd.isna(v) else int(v) for v in df[c]], dtype="Int64")
        elif c in _TEXT_COLUMNS:
            df[c] = df[c].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else v)
            df[c] = df[c].astype(object)
        else:
            df[c] = pd.to_numeric(df[c]).astype(float)
    return df


def write_diff(d: Diff, out: Path) -> list[str]:
    """`out/diff.csv`, staged and moved into place (a failure leaves the previous file), formula-safe text."""
    from jxscore.io.atomic import staged_output
    from jxscore.io.writers import write_csv

    with staged_output(out) as stage:
        write_csv(diff_frame(d), stage / "diff.csv")
    return ["diff.csv"]
