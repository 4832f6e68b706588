"""What each command does, as one function with a typed options object and a typed result.

The CLI (and the coming portal) parse their input, call one of these functions and present the
result. Computing and writing are separate: `run_*` computes, `save(result, out)` writes any result
into a staged folder, so a failure leaves the previous outputs untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jxscore.resources import default_criteria_path

if TYPE_CHECKING:  # typing only: keep `import jxscore.service` light
    import datetime as dt

    from jxscore.analysis.diff import Diff
    from jxscore.analysis.history import History
    from jxscore.analysis.methods import MethodsComparison
    from jxscore.analysis.scenario import Scenario
    from jxscore.analysis.sensitivity import Sensitivity, SensitivityOptions
    from jxscore.analysis.whatif import WhatIf
    from jxscore.core.criteria import Criteria
    from jxscore.core.engine import Result
    from jxscore.core.inputs import Inputs
    from jxscore.io.intake import CityCheck
    from jxscore.report.announce import Mark
    from jxscore.report.sign import SignOptions


def criteria_file(criteria: Path | None) -> Path:
    """The criteria file a command's `--criteria` names, else the bundled scheme."""
    return Path(criteria) if criteria else default_criteria_path()


@dataclass(frozen=True)
class RunOptions:
    """What every scoring command shares."""

    year: int
    data: Path
    criteria: Path | None = None
    allow_missing: bool = False

    @property
    def criteria_path(self) -> Path:
        return criteria_file(self.criteria)

    def params(self) -> dict:
        return {"year": self.year, "allow_missing": self.allow_missing, "criteria": self.criteria_path.name,
                "data": Path(self.data).name}


@dataclass
class ScoreRun:
    """A scored year: the engine's result, the validated inputs and the manifest of the run."""

    opts: RunOptions
    result: Result
    inputs: Inputs
    manifest: dict

    @property
    def warnings(self) -> list:
        return self.result.warnings


@dataclass(frozen=True)
class ReportOptions:
    html: bool = False
    jobs: int | None = None
    sign: SignOptions | None = None  # sign every PDF (jxscore.report.sign), in the same atomic step
    history: Path | None = None  # a history folder (DIR/2021, …): each card gets its 历年考核结果 (§11)
    mark: Mark | None = None  # 公示稿/征求意见稿 with the window's end and version, on every page (issue 15)


@dataclass
class ReportRun:
    """A scored year with its documents rendered (the PDFs are written by `save`)."""

    score: ScoreRun
    options: ReportOptions
    files: list[str] = field(default_factory=list)
    signed_by: str = ""  # the signing certificate's office, when the PDFs are signed
    sign_level: str = ""  # PAdES B-B or B-T
    history: History | None = None  # the earlier years and this one, with ReportOptions.history

    @property
    def warnings(self) -> list:
        return self.score.warnings


@dataclass
class WhatIfRun:
    whatif: WhatIf
    pdf: bool = False
    result: Result | None = None  # the baseline scoring, for the PDF's page frame
    manifest: dict = field(default_factory=dict)  # as `score` builds it: the footer's input hash
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return self.whatif.warnings


@dataclass
class SensitivityRun:
    sensitivity: Sensitivity
    result: Result | None = None  # the nominal scoring, for the PDF's page frame
    manifest: dict = field(default_factory=dict)  # as `score` builds it: the footer's input hash
    plots: bool = True
    pdf: bool = False
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return self.sensitivity.warnings


@dataclass
class MethodsRun:
    comparison: MethodsComparison
    result: Result | None = None  # the official scoring, for the PDF's page frame
    manifest: dict = field(default_factory=dict)  # as `score` builds it: the footer's input hash
    pdf: bool = False
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return self.comparison.warnings


@dataclass(frozen=True)
class CollectOptions:
    year: int
    source: Path  # the folder of returned workbooks
    criteria: Path | None = None

    @property
    def criteria_path(self) -> Path:
        return criteria_file(self.criteria)


@dataclass
class CollectRun:
    """Returned workbooks read, checked and turned into the canonical dataset."""

    opts: CollectOptions
    collected: object  # jxscore.io.intake.Collected
    criteria: Criteria
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return self.collected.report + self.collected.inputs.warnings


@dataclass
class AuditRun:
    """The 核查: key projects and expert panels checked (RULEBOOK §8, §9), nothing scored."""

    opts: RunOptions
    criteria: Criteria
    inputs: Inputs
    verification: object  # jxscore.core.engine.Verification
    pdf: bool = True
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return self.inputs.warnings


@dataclass(frozen=True)
class BarometerOptions:
    """The barometer (晴雨表, RULEBOOK §10): year Y, period Q1/H1/Q3, the targets + progress tables."""

    year: int
    period: str
    data: Path
    criteria: Path | None = None
    pdf: bool = True

    @property
    def criteria_path(self) -> Path:
        return criteria_file(self.criteria)

    def params(self) -> dict:
        return {"year": self.year, "period": self.period, "criteria": self.criteria_path.name,
                "data": Path(self.data).name}


@dataclass
class BarometerRun:
    """A period's warning levels per city (nothing scored) and the input hash of its page's footer."""

    opts: BarometerOptions
    criteria: Criteria
    progress: object  # jxscore.core.inputs.Progress
    barometer: object  # jxscore.core.barometer.Barometer
    input_hash: str
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return self.progress.warnings


@dataclass(frozen=True)
class HistoryOptions:
    """The plan period side by side (RULEBOOK §11): a folder of year folders or workbooks (DIR/2021, …)."""

    data: Path
    criteria: Path | None = None
    pdf: bool = True
    before: int | None = None  # only the years before this one (what `report --history` reads)

    @property
    def criteria_path(self) -> Path:
        return criteria_file(self.criteria)


@dataclass
class HistoryRun:
    """Every year of the history scored (history.csv, history.pdf)."""

    opts: HistoryOptions
    history: History
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return self.history.warnings


@dataclass(frozen=True)
class AnnounceOptions:
    """The 公告 of an approved year: who issues it, its date (北京时间) and the round's version."""

    issuer: str = "江西省人民政府办公厅"
    date: dt.date | None = None  # None: today in 北京时间
    version: int = 1


@dataclass
class AnnounceRun:
    """A scored year and its announcement (announcement.pdf)."""

    score: ScoreRun
    options: AnnounceOptions
    date: dt.date
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return self.score.warnings


@dataclass(frozen=True)
class DiffOptions:
    """Two `jxscore score` output folders of one year: the old run (--from) and the new (--to)."""

    old: Path
    new: Path


@dataclass
class DiffRun:
    """What moved between two runs (diff.csv)."""

    opts: DiffOptions
    diff: Diff
    files: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list:
        return []


# ------------------------------------------------------------------ computing

def prepare(opts: RunOptions) -> tuple[Criteria, Inputs]:
    """Load the scheme and read + validate every table (InputError lists every problem)."""
    from jxscore.core.criteria import load_criteria
    from jxscore.io.readers import load_inputs

    crit = load_criteria(opts.criteria_path)
    return crit, load_inputs(opts.data, opts.year, crit, allow_missing=opts.allow_missing)


def validate(opts: RunOptions) -> Inputs | CityCheck:
    """Raise InputError with every problem, or return the clean inputs (with warnings).

    A city's own reporting workbook (an .xlsx made by `jxscore template`) gets every check that does
    not need the other cities, and a `CityCheck` back.
    """
    from jxscore.io.intake import check_city_book, is_city_book

    if is_city_book(Path(opts.data)):
        from jxscore.core.criteria import load_criteria

        return check_city_book(Path(opts.data), opts.year, load_criteria(opts.criteria_path), opts.criteria_path)
    return prepare(opts)[1]


def run_score(opts: RunOptions, *, explain: bool = True) -> tuple[Result, Inputs]:
    from jxscore.core.engine import score

    crit, inputs = prepare(opts)
    return score(inputs, crit, explain=explain), inputs


def score(opts: RunOptions) -> ScoreRun:
    from jxscore.io.writers import manifest

    result, inputs = run_score(opts)
    man = manifest(result, inputs.files, opts.criteria_path, opts.params())
    return ScoreRun(opts, result, inputs, man)


def whatif(opts: RunOptions, scenario: Scenario, *, pdf: bool = False) -> WhatIfRun:
    """Score once (the baseline) and apply the scenario's weights; never re-reads inputs."""
    from jxscore.analysis.whatif import compute_whatif
    from jxscore.io.writers import manifest

    result, inputs = run_score(opts, explain=False)
    man = manifest(result, inputs.files, opts.criteria_path, opts.params())
    return WhatIfRun(compute_whatif(result, scenario), pdf=pdf, result=result, manifest=man)


def sensitivity(opts: RunOptions, so: SensitivityOptions, *, plots: bool = True, pdf: bool = False) -> SensitivityRun:
    from jxscore.analysis.sensitivity import run_sensitivity
    from jxscore.io.writers import manifest

    so.check()
    result, inputs = run_score(opts, explain=False)
    man = manifest(result, inputs.files, opts.criteria_path, opts.params())
    return SensitivityRun(run_sensitivity(result, so), result, man, plots=plots, pdf=pdf)


def compare_methods(opts: RunOptions, *, seed: int = 0, repeat: int = 1, reversal: bool = True,
                    pdf: bool = False) -> MethodsRun:
    from jxscore.analysis.methods import compare_methods as compare
    from jxscore.io.writers import manifest

    result, inputs = run_score(opts, explain=False)
    man = manifest(result, inputs.files, opts.criteria_path, opts.params())
    return MethodsRun(compare(result, seed=seed, repeat=repeat, reversal=reversal), result, man, pdf=pdf)


def audit(opts: RunOptions, *, pdf: bool = True) -> AuditRun:
    """Check the projects and reviews tables without scoring; a folder with neither is a usage error."""
    from jxscore.core.engine import verify
    from jxscore.core.problems import Code, Problem, UsageError

    crit, inputs = prepare(opts)
    _, ver = verify(inputs, crit)
    if ver is None:
        raise UsageError(Problem.make(Code.NOTHING_TO_AUDIT, file=str(opts.data)))
    return AuditRun(opts, crit, inputs, ver, pdf=pdf)


def barometer(opts: BarometerOptions) -> BarometerRun:
    """Read only the targets and progress tables (no annual data exists mid-year), check them in one
    pass (InputError lists every problem) and compute every city's levels."""
    from dataclasses import replace

    from jxscore.core.barometer import barometer as compute
    from jxscore.core.criteria import load_criteria
    from jxscore.core.inputs import check_period
    from jxscore.io.readers import load_progress
    from jxscore.io.writers import input_hash

    opts = replace(opts, period=check_period(opts.period))
    crit = load_criteria(opts.criteria_path)
    progress = load_progress(opts.data, opts.year, opts.period, crit)
    _, _, digest = input_hash(progress.files, opts.criteria_path, opts.params())
    return BarometerRun(opts, crit, progress, compute(progress, crit), digest)


def history_runs(opts: HistoryOptions) -> tuple[list, list]:
    """Score every year folder of `opts.data` with `run_score` (years before `opts.before` only, when
    given); collect every year's problems, each named with its year folder or workbook, and raise them
    together (InputError). Returns the YearRuns and the warnings (located the same way)."""
    from jxscore.analysis.history import YearRun, located, year_sources
    from jxscore.core.problems import Code, CriteriaError, InputError, JxError, Problem, UsageError
    from jxscore.io.writers import input_hash

    folder = Path(opts.data)
    if not folder.is_dir():
        raise UsageError(Problem.make(Code.DATA_PATH, file=str(folder), value=str(folder)))
    sources = [(y, p) for y, p in year_sources(folder) if opts.before is None or y < opts.before]
    runs, problems, warnings = [], [], []
    for year, path in sources:
        ro = RunOptions(year=year, data=path, criteria=opts.criteria)
        try:
            result, inputs = run_score(ro, explain=False)
        except CriteriaError:
            raise  # one criteria file for every year: said once
        except JxError as e:
            problems += located(e.problems, path.name)
            continue
        _, _, digest = input_hash(inputs.files, ro.criteria_path, ro.params())  # = that year's manifest hash
        runs.append(YearRun(year, path.name, result, digest))
        warnings += located(result.warnings, path.name)
    if problems:
        raise InputError(problems)
    return runs, warnings


def history(opts: HistoryOptions) -> HistoryRun:
    """Every year of the plan period scored by the same engine and read side by side (RULEBOOK §11)."""
    from jxscore.analysis.history import build_history
    from jxscore.core.problems import Code, InputError, Problem

    runs, warnings = history_runs(opts)
    if not runs:
        raise InputError(Problem.make(Code.DATA_PATH, file=str(opts.data), value=str(opts.data)))
    return HistoryRun(opts, build_history(runs, warnings))


def diff(opts: DiffOptions) -> DiffRun:
    """Read two score output folders (every problem of both in one InputError) and compare them."""
    from jxscore.analysis.diff import diff_runs

    return DiffRun(opts, diff_runs(opts.old, opts.new))


def announce(opts: RunOptions, ao: AnnounceOptions) -> AnnounceRun:
    """Score the year as `score` does (same manifest, so the same input hash) for its 公告; the CJK font
    is checked before scoring, like `report`."""
    from jxscore.report.announce import today_cst
    from jxscore.report.fonts import cjk_font_file

    cjk_font_file()
    return AnnounceRun(score(opts), ao, ao.date or today_cst())


def collect(opts: CollectOptions) -> CollectRun:
    """Read the city workbooks and office.xlsx, check them all in one pass (InputError lists every problem)."""
    from jxscore.core.criteria import load_criteria
    from jxscore.io.intake import collect as read_returns

    crit = load_criteria(opts.criteria_path)
    return CollectRun(opts, read_returns(opts.year, opts.source, crit, opts.criteria_path), crit)


# ------------------------------------------------------------------ writing

@dataclass(frozen=True)
class TemplateOptions:
    """The reporting workbooks of year `year`: one per city and office.xlsx, optionally pre-filled."""

    year: int
    criteria: Path | None = None
    targets: Path | None = None  # a folder with targets.csv, a targets.csv, or an .xlsx with a targets sheet
    password: str | None = None  # sheet and workbook protection (none by default)


@dataclass
class TemplateRun:
    opts: TemplateOptions
    criteria_path: Path
    books: list  # (file name, openpyxl workbook), built and checked, not yet written
    files: list[str] = field(default_factory=list)


def template(o: TemplateOptions) -> TemplateRun:
    """Build the workbooks (every problem of the criteria, year and targets raised here); save() writes them."""
    from jxscore.core.criteria import load_criteria
    from jxscore.io.template import build_template

    path = o.criteria or default_criteria_path()
    books = build_template(load_criteria(path), o.year, criteria_path=path, targets=o.targets, password=o.password)
    return TemplateRun(o, path, books)


def _write_template(run: TemplateRun, stage: Path) -> list[str]:
    from jxscore.io.template import save_books

    return save_books(run.books, stage)


def save(run, out: Path):
    """Write a score, what-if, sensitivity or methods run into `out` atomically (reports write as they
    render: see `report`); returns the run with `files` filled in."""
    from jxscore.io.atomic import staged_output

    with staged_output(out) as stage:
        run.files = _WRITERS[type(run).__name__](run, stage)
    return run


def _write_score(run: ScoreRun, stage: Path) -> list[str]:
    from jxscore.io.writers import write_score_outputs

    return write_score_outputs(run.result, stage, run.manifest)


def _write_whatif(run: WhatIfRun, stage: Path) -> list[str]:
    from jxscore.analysis.whatif import write_whatif

    names = write_whatif(run.whatif, stage)
    if run.pdf:
        from jxscore.report.context import meta
        from jxscore.report.whatif_pdf import whatif_pdf

        whatif_pdf(run.whatif, stage / "whatif.pdf", meta(run.result, run.manifest))
        names.append("whatif.pdf")
    return names


def _write_sensitivity(run: SensitivityRun, stage: Path) -> list[str]:
    from jxscore.analysis.sensitivity import write_sensitivity
    from jxscore.report.sensitivity_pdf import sensitivity_figures

    meta = None
    if run.pdf:
        from jxscore.report.context import meta as page_meta

        meta = page_meta(run.result, run.manifest)
    return write_sensitivity(run.sensitivity, stage) + sensitivity_figures(run.sensitivity, stage, plots=run.plots,
                                                                          pdf=run.pdf, meta=meta)


def _write_methods(run: MethodsRun, stage: Path) -> list[str]:
    from jxscore.analysis.methods import write_methods

    names = write_methods(run.comparison, stage)
    if run.pdf:
        from jxscore.report.context import meta
        from jxscore.report.methods_pdf import methods_pdf

        methods_pdf(run.comparison, stage / "compare_methods.pdf", meta(run.result, run.manifest))
        names.append("compare_methods.pdf")
    return names


def _write_collect(run: CollectRun, stage: Path) -> list[str]:
    from jxscore.io.intake import write_collected

    return write_collected(run.collected, run.criteria, stage)


def _write_audit(run: AuditRun, stage: Path) -> list[str]:
    from jxscore.io.writers import verification_frame, write_csv

    write_csv(verification_frame(run), stage / "verification.csv")
    names = ["verification.csv"]
    if run.pdf:
        from jxscore.report.audit import audit_pdf

        audit_pdf(run, stage / "verification.pdf")
        names.append("verification.pdf")
    return names


def _write_barometer(run: BarometerRun, stage: Path) -> list[str]:
    from jxscore.io.writers import write_csv

    write_csv(run.barometer.frame(run.criteria.scheme.compare_decimals), stage / "barometer.csv")
    names = ["barometer.csv"]
    if run.opts.pdf:
        from jxscore.report.barometer_pdf import barometer_pdf

        barometer_pdf(run, stage / "barometer.pdf")
        names.append("barometer.pdf")
    return names


def _write_history(run: HistoryRun, stage: Path) -> list[str]:
    from jxscore.io.writers import write_csv

    write_csv(run.history.table, stage / "history.csv")
    names = ["history.csv"]
    if run.opts.pdf:
        from jxscore.report.history_pdf import history_pdf

        history_pdf(run.history, stage / "history.pdf")
        names.append("history.pdf")
    return names


def _write_announce(run: AnnounceRun, stage: Path) -> list[str]:
    from jxscore.report.announce import announcement_pdf

    s, ao = run.score, run.options
    announcement_pdf(s.result, s.manifest, stage / "announcement.pdf", issuer=ao.issuer, date=run.date,
                     version=ao.version)
    return ["announcement.pdf"]


def _write_diff(run: DiffRun, stage: Path) -> list[str]:
    from jxscore.analysis.diff import diff_frame
    from jxscore.io.writers import write_csv

    write_csv(diff_frame(run.diff), stage / "diff.csv")
    return ["diff.csv"]


_WRITERS = {"AnnounceRun": _write_announce,
            "AuditRun": _write_audit, "BarometerRun": _write_barometer, "CollectRun": _write_collect,
            "DiffRun": _write_diff,
            "HistoryRun": _write_history,
            "ScoreRun": _write_score, "TemplateRun": _write_template,
            "WhatIfRun": _write_whatif, "SensitivityRun": _write_sensitivity, "MethodsRun": _write_methods}


def report(opts: RunOptions, ro: ReportOptions, out: Path, *, on_start: Callable[[int], None] | None = None,
           on_done: Callable[[str], None] | None = None) -> ReportRun:
    """Score, then write everything `score` writes plus a PDF per city and the summary, atomically.

    Render workers start first, so their heavy imports overlap everything else. Raises
    FontMissingError before anything is written when the CJK font is missing, SignError when the signing
    key, passphrase or certificate cannot be used (`ro.sign`). The cards render first; each is signed
    (when signing) as it arrives, while the others render; then the summary, which lists the cards'
    SHA-256, is rendered and signed, while this process writes the score files on the other core;
    SHA256SUMS lists every file written.
    """
    from jxscore.report.render import Renderer, card_hashes, card_jobs, summary_job, with_charts, with_hashes

    with Renderer(ro.jobs) as renderer:  # first: the rest of this function overlaps the workers' start-up
        from concurrent.futures import ThreadPoolExecutor

        from jxscore.io.atomic import staged_output
        from jxscore.report import jxmap
        from jxscore.report.fonts import cjk_font_file
        from jxscore.report.pdf import pdf_date

        asker = ThreadPoolExecutor(1, thread_name_prefix="jxscore-font")
        font = asker.submit(cjk_font_file)  # fontconfig answers (two fc-match runs) while this thread scores
        asker.shutdown(wait=False)
        signer = None
        if ro.sign is not None:  # key, passphrase and certificate checked before anything is scored or written
            from jxscore.report.sign import load_signer

            signer = load_signer(ro.sign)
        run = ReportRun(score(opts), ro)
        if ro.history is not None:  # the earlier years (all their problems at once), then this run as its year
            from jxscore.analysis.history import YearRun, build_history

            before, warned = history_runs(HistoryOptions(ro.history, opts.criteria, pdf=False, before=opts.year))
            now = YearRun(opts.year, Path(opts.data).name, run.score.result, run.score.manifest["input_hash"])
            run.history = build_history(before + [now], warned)
        font.result()  # a missing CJK font stops the run here, before anything is written
        jxmap.check([e.code for e in run.score.result.criteria.entities])  # boundaries there, before writing
        with staged_output(out) as stage:
            result = run.score.result

            def done(name: str) -> None:
                if signer is not None:
                    signer.sign_file(stage / name)
                if on_done:
                    on_done(name)

            # each card built and drawn here and rendered at once, while the next is built
            date = pdf_date()  # one PDF date for every document of the run
            cards = renderer.start(card_jobs(result, run.score.inputs, run.score.manifest, html=ro.html,
                                             history=run.history, mark=ro.mark, date=date), stage)
            if on_start:  # after the cards are handed over: a progress bar costs the first card nothing
                on_start(len(cards) + 1)
            summary = with_charts([summary_job(result, run.score.manifest, html=ro.html, mark=ro.mark,
                                               date=date)])  # its charts too, while the cards render
            if signer is not None:
                signer.prepare()  # pyHanko's import, while the cards render
            pdfs = renderer.wait(done)
            hashes = card_hashes(cards, stage)
            renderer.start([with_hashes(j, hashes, signed=signer is not None) for j in summary], stage)
            files = _write_score(run.score, stage)  # on the core the summary leaves idle
            pdfs += renderer.wait(done)
            run.files = files + sorted(pdfs) + [write_sha256sums(stage)]
            if signer is not None:
                run.signed_by, run.sign_level = signer.office, signer.level
    return run


def write_sha256sums(stage: Path, name: str = "SHA256SUMS") -> str:
    """`stage/SHA256SUMS`: every file under `stage` (sorted relative paths) in `sha256sum -c` format."""
    import hashlib

    lines = []
    for p in sorted(q for q in stage.rglob("*") if q.is_file() and q.name != name):
        rel = p.relative_to(stage).as_posix()
        lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {rel}\n")
    (stage / name).write_text("".join(lines), encoding="utf-8", newline="\n")
    return name
