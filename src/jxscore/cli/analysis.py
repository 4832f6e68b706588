"""`whatif`, `sensitivity`, `compare-methods`: weight reviews and robustness of the ranking.

Thin commands: parse options, call one core function, print. numpy/pandas/SALib/skcriteria and
matplotlib load inside the commands, so `jxscore --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from jxscore.cli.common import ALLOW_MISSING, CRITERIA, DATA, DEBUG, OUT, YEAR, fail_on_errors, opts

SETS = Annotated[list[str] | None, typer.Option(
    "--set", metavar="CODE=POINTS",
    help="CODE=POINTS for an indicator (A1=25) or a category (B=20); repeatable; overrides --scenario.")]
SCENARIO = Annotated[Path | None, typer.Option(
    "--scenario", help="Scenario file (.toml/.yaml): [points] A1 = 25, B = 20; vetoes_off, caps_off, rescale.")]
NO_RESCALE = Annotated[bool, typer.Option("--no-rescale", help="Keep points as set (A+B+C not rescaled to 100).")]
PDF = Annotated[bool, typer.Option("--pdf", help="Also write a PDF page (WeasyPrint, CJK font).")]


def _print_table(headers: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(*headers)
    for r in rows:
        t.add_row(*(Text(str(c)) for c in r))
    Console(width=160, file=sys.stdout).print(t)


def whatif(year: YEAR, data: DATA, out: OUT, set_: SETS = None, scenario: SCENARIO = None,
           no_rescale: NO_RESCALE = False, pdf: PDF = False, criteria: CRITERIA = None,
           allow_missing: ALLOW_MISSING = False, debug: DEBUG = False) -> None:
    """Re-weight indicators or categories: baseline vs scenario totals, grades, ranks, movers and why."""
    from jxscore import service
    from jxscore.analysis.scenario import load_scenario
    from jxscore.cli.common import echo_warnings

    with fail_on_errors(debug):
        sc = load_scenario(scenario, set_, no_rescale=no_rescale)
        run = service.save(service.whatif(opts(year, data, criteria, allow_missing), sc, pdf=pdf), out)
    from jxscore.analysis.whatif import SIGN_NOTE

    w, names = run.whatif, run.files
    echo_warnings(w.warnings)
    typer.echo(f"情景设置：{w.describe()}")
    _print_table(["设区市", "基准总分", "基准等级", "基准排名", "情景总分", "情景等级", "情景排名", "Δ总分"],
                 [[r.city, f"{r.baseline_total:.2f}", r.baseline_grade, r.baseline_rank, f"{r.total:.2f}", r.grade,
                   r.rank, f"{r.delta_total:+.2f}"] for r in w.table.itertuples(index=False)])
    movers = w.table[w.table["moved"] == 1]
    if movers.empty:
        typer.echo("各市排名和等级均不变。")
    else:
        typer.echo("变动原因：")
    for r in movers.itertuples(index=False):
        typer.echo(f"{r.city}：{r.why}")
    if not movers.empty:
        typer.echo(SIGN_NOTE)
    typer.echo(f"Wrote {out}/" + ", ".join(names))


def sensitivity(
    year: YEAR, data: DATA, out: OUT,
    samples: Annotated[int, typer.Option("--samples", help="Monte Carlo weight samples.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same results).")] = 0,
    band: Annotated[float, typer.Option("--band", help="Relative half-width of the perturbation (0.25 = ±25%).")]
    = 0.25,
    method: Annotated[str, typer.Option("--method", help="uniform (each weight ±band) or dirichlet (around nominal).")]
    = "uniform",
    no_rescale: NO_RESCALE = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Skip the SVG plots.")] = False,
    pdf: PDF = False, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False, debug: DEBUG = False,
) -> None:
    """Rank intervals, grade/rank probabilities and Sobol' indices of the category weights."""
    from jxscore import service
    from jxscore.analysis.sensitivity import SensitivityOptions
    from jxscore.cli.common import echo_warnings

    with fail_on_errors(debug):
        so = SensitivityOptions(samples=samples, seed=seed, band=band, method=method, rescale=not no_rescale)
        run = service.save(service.sensitivity(opts(year, data, criteria, allow_missing), so, plots=not no_plots,
                                               pdf=pdf), out)
    s, names = run.sensitivity, run.files
    echo_warnings(s.warnings)
    typer.echo(f"{samples} samples, {method} ±{band:g}, seed {seed}:")
    _print_table(["设区市", "官方排名", "中位排名", "5–95%区间", "P(官方排名)", "P(官方等级)"],
                 [[r.city, r.nominal_rank, r.median_rank, f"{r.rank_p05}–{r.rank_p95}", f"{r.p_nominal_rank:.3f}",
                   f"{g.p_nominal_grade:.3f}"]
                  for r, g in zip(s.ranks.itertuples(index=False), s.grades.itertuples(index=False))])
    from jxscore.analysis.sensitivity import OFF_MODE_LIMIT, index_rows

    factors = list(s.factor_names)
    typer.echo("类别分值敏感性指数（Sobol'）。一阶指数S1：仅该类别分值变化可解释的输出方差占比；"
               "总效应指数ST：再加上与其他类别交互作用的占比；括号内为95%置信区间，负估计记作≈0。")
    rows = []
    for r in index_rows(s.indices):
        if r["steady"]:
            rows.append([r["label"], "—", r["status"], *[""] * (len(factors) - 1), f"{r['off_mc']} / {r['off_sobol']}"])
        else:
            for key in ("S1", "ST"):
                rows.append([r["label"] if key == "S1" else "", key, *[r[key][f] for f in factors],
                             f"{r['off_mc']} / {r['off_sobol']}" if key == "S1" else ""])
    _print_table(["输出", "指数", *[f"{f} {s.factor_names[f]}" for f in factors],
                  "偏离最常见名次（蒙特卡洛 / Sobol'）"], rows)
    typer.echo(f"排名不随权重变化：两组样本中偏离最常见名次的样本占比均低于{OFF_MODE_LIMIT:.0%}。")
    typer.echo(f"Wrote {out}/" + ", ".join(names))


def compare_methods(
    year: YEAR, data: DATA, out: OUT,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the rank-reversal mutations.")] = 0,
    pdf: PDF = False, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False, debug: DEBUG = False,
) -> None:
    """The official weighted sum next to WPM, TOPSIS and VIKOR; why ranks differ, Kendall τ, rank reversal."""
    from jxscore import service
    from jxscore.analysis.methods import METHODS, OTHER, REVERSAL_TEXT, TAU_TEXT
    from jxscore.cli.common import echo_warnings

    with fail_on_errors(debug):
        run = service.save(service.compare_methods(opts(year, data, criteria, allow_missing), seed=seed, pdf=pdf),
                           out)
    m, names = run.comparison, run.files
    echo_warnings(m.warnings)
    _print_table(["设区市", "官方排名", "考核等级", "否决/封顶", "不计否决封顶排名", "官方加权和排名",
                  *[f"{METHODS[k][1]}排名" for k in OTHER], "差异来源"],
                 [[r.city, r.official_rank, r.official_grade,
                   "、".join((*r.vetoes, *r.caps)) or "—", r.base_rank, r.score_rank,
                   *[getattr(r, f"{k}_rank") for k in OTHER], r.cause]
                  for r in m.table.itertuples(index=False)])
    for r in m.table.itertuples(index=False):
        if r.cause != "无差异":
            typer.echo(f"{r.city}　{r.attribution}")
    typer.echo(TAU_TEXT)
    _print_table(["排名方法", "τ（对官方排名）", "τ（对不计否决封顶排名）", "τ（对官方加权和）"],
                 [[c.label, f"{c.kendall_tau_vs_official:.3f}", f"{c.kendall_tau_vs_base:.3f}",
                   f"{c.kendall_tau_vs_score:.3f}"] for c in m.correlations.itertuples(index=False)])
    if not m.reversal.empty:
        typer.echo(REVERSAL_TEXT)
        _print_table(["汇总方法", "变异次数", "最优保持率", "最优平均下移", "次序保持率"],
                     [[r.label, r.mutations, f"{r.best_kept_rate:.2f}", f"{r.best_mean_displacement:.2f}",
                       f"{r.order_kept_rate:.2f}"] for r in m.reversal.itertuples(index=False)])
    typer.echo(f"Wrote {out}/" + ", ".join(names))
