"""The what-if page's chart (matplotlib, lazily, through jxscore.report.charts.figure)."""

from __future__ import annotations

from jxscore.report.charts import DARK, GREY, RED, figure


def slope_chart(w):
    """Baseline rank (left) → scenario rank (right) per city; movers in red."""
    t = w.table
    n = len(t)
    fig = figure(12.0, 1.2 + 0.55 * n)
    ax = fig.add_subplot()
    for r in t.itertuples(index=False):
        moved = bool(r.moved)
        col = RED if moved else GREY
        ax.plot([0, 1], [r.baseline_rank, r.rank], color=col, lw=1.6 if moved else 0.9, marker="o", ms=3)
        ax.text(-0.04, r.baseline_rank, f"{r.city} {r.baseline_total:.2f}", ha="right", va="center", fontsize=7,
                color=DARK)
        ax.text(1.04, r.rank, f"{r.total:.2f} {r.city}", ha="left", va="center", fontsize=7,
                color=RED if moved else DARK)
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylim(n + 0.6, 0.4)
    ax.set_xticks([0, 1], ["基准排名", "情景排名"])
    ax.set_yticks(range(1, n + 1))
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return fig
