"""The sensitivity page's charts (matplotlib, lazily, through jxscore.report.charts.figure)."""

from __future__ import annotations

import numpy as np

from jxscore.report.charts import BLUE, DARK, GREY, RED, figure


def rank_intervals(s):
    """5–95 % rank interval and median per city against its nominal rank (cities in nominal order)."""
    r = s.ranks
    n = len(r)
    fig = figure(14.0, 1.4 + 0.6 * n)
    ax = fig.add_subplot()
    y = np.arange(n)
    ax.hlines(y, r["rank_min"], r["rank_max"], color=GREY, lw=0.8, label="最小—最大")
    ax.hlines(y, r["rank_p05"], r["rank_p95"], color=BLUE, lw=4, alpha=0.6, label="5%—95%区间")
    ax.plot(r["median_rank"], y, "o", color=BLUE, ms=5, label="中位数")
    ax.plot(r["nominal_rank"], y, "D", color=RED, ms=4, label="官方排名")
    ax.set_yticks(y, [f"{c}" for c in r["city"]])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xticks(range(1, n + 1))
    ax.set_xlim(0.5, n + 0.5)
    ax.set_xlabel("排名（权重扰动下）")
    ax.grid(axis="x", color="#e5e5e5", lw=0.5)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False, fontsize=7)
    return fig


def rank_heatmap(s):
    """Probability of each rank per city (rows in nominal order); values printed in the cells."""
    from matplotlib.colors import LinearSegmentedColormap

    P = s.rank_prob
    n = P.shape[0]
    fig = figure(14.0, 1.6 + 0.6 * n)
    ax = fig.add_subplot()
    cmap = LinearSegmentedColormap.from_list("jxp", ["#ffffff", "#9fbbdc", BLUE, "#1d3b63"])
    ax.imshow(P, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(n), [str(k + 1) for k in range(n)])
    ax.set_yticks(range(n), list(s.ranks["city"]))
    ax.set_xlabel("排名")
    ax.tick_params(length=0)
    for i in range(n):
        for j in range(n):
            if P[i, j] >= 0.005:
                ax.text(j, i, f"{P[i, j]:.2f}".lstrip("0") if P[i, j] < 1 else "1", ha="center", va="center",
                        fontsize=6, color="white" if P[i, j] > 0.5 else DARK)
    for sp in ax.spines.values():
        sp.set_visible(False)
    return fig
