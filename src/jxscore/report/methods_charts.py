"""The compare-methods page's chart (matplotlib, lazily, through jxscore.report.charts.figure)."""

from __future__ import annotations

from jxscore.report.charts import AXIS, BLUE, DARK, GREY, RED, figure

GOLD = "#c9a227"
STEPS = [("official_rank", "官方排名"), ("base_rank", "不计否决\n与封顶"), ("score_rank", "官方加权和\nA+B+C"),
         ("weighted_product_rank", "加权乘积\nWPM"), ("topsis_rank", "TOPSIS"), ("vikor_rank", "VIKOR")]
SEGMENT_COLOUR = [RED, GOLD, BLUE, BLUE, BLUE]  # veto/cap, bonus D, then the aggregation methods


def rank_bump(m):
    """Cities × rankings as a bump chart: official final rank → the same rule without vetoes and caps
    → the official weighted sum A+B+C → WPM, TOPSIS, VIKOR. A segment is coloured where the city's
    rank changes (red: a veto or cap, gold: bonus D or tie rules, blue: another aggregation)."""
    t = m.table
    n = len(t)
    k = len(STEPS)
    fig = figure(16.0, 2.0 + 0.62 * n, margins=(0.02, 0.03, 0.98, 0.86))
    ax = fig.add_subplot()
    for r in t.itertuples(index=False):
        ys = [getattr(r, c) for c, _ in STEPS]
        for s in range(k - 1):
            moved = ys[s] != ys[s + 1]
            ax.plot([s, s + 1], ys[s:s + 2], color=SEGMENT_COLOUR[s] if moved else GREY, lw=1.6 if moved else 0.8,
                    solid_capstyle="round", zorder=2 if moved else 1)
        ax.plot(range(k), ys, "o", color=DARK, ms=2.6, zorder=3)
        ax.text(-0.12, ys[0], f"{r.city} {r.official_grade}", ha="right", va="center", fontsize=7, color=DARK)
        ax.text(k - 1 + 0.12, ys[-1], r.city, ha="left", va="center", fontsize=7, color=DARK)
    ax.set_xlim(-1.45, k - 1 + 0.75)
    ax.set_ylim(n + 0.5, 0.5)
    ax.xaxis.tick_top()
    ax.set_xticks(range(k), [label for _, label in STEPS], fontsize=7)
    ax.set_yticks([])
    ax.tick_params(axis="x", length=0, colors=AXIS)
    for sp in ax.spines.values():
        sp.set_visible(False)
    for s in range(k):
        ax.axvline(s, color="#e5e5e5", lw=0.5, zorder=0)
    for y in range(1, n + 1):
        ax.text(k - 1 + 0.62, y, f"{y}", ha="right", va="center", fontsize=6, color=AXIS)
    return fig
