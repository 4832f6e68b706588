"""The what-if page's chart (matplotlib, lazily, through jxscore.report.charts.figure)."""

from __future__ import annotations

from jxscore.report.charts import DARK, GREY, RED, figure

WIDTH_CM = 15.0
GAP_PT = 4.0  # between a marker and its label
MIN_FONT = 4.5


def slope_chart(w):
    """Baseline rank (left) → scenario rank (right) per city; movers in red.

    Labels ("1 南昌 103.34" left, "103.34 南昌 1" right) sit a fixed gap from the markers; the
    x-range is then widened until the longest label fits inside the figure, and the font shrinks
    when the labels are so long that the lines would have no room left."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    t = w.table
    n = len(t)
    fig = figure(WIDTH_CM, 1.4 + 0.5 * n, margins=(0.01, 0.1, 0.99, 0.97))
    ax = fig.add_subplot()
    labels = []
    for r in t.itertuples(index=False):
        moved = bool(r.moved)
        col = RED if moved else GREY
        ax.plot([0, 1], [r.baseline_rank, r.rank], color=col, lw=1.6 if moved else 0.9, marker="o", ms=3)
        labels.append(ax.annotate(f"{r.baseline_rank}  {r.city} {r.baseline_total:.2f}", (0, r.baseline_rank),
                                  xytext=(-GAP_PT, 0), textcoords="offset points", ha="right", va="center",
                                  fontsize=7, color=DARK, annotation_clip=False))
        labels.append(ax.annotate(f"{r.total:.2f} {r.city}  {r.rank}", (1, r.rank), xytext=(GAP_PT, 0),
                                  textcoords="offset points", ha="left", va="center", fontsize=7,
                                  color=RED if moved else DARK, annotation_clip=False))
    ax.set_ylim(n + 0.6, 0.4)
    ax.set_xticks([0, 1], ["基准排名", "情景排名"])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    axes_px = ax.get_window_extent(renderer).width
    gap_px = GAP_PT * fig.dpi / 72 + 2
    widest = max((a.get_window_extent(renderer).width for a in labels), default=0.0)
    room = 0.3 * axes_px  # keep at least 30 % of the axes for the lines
    if widest and 2 * (widest + gap_px) > axes_px - room:
        size = max(MIN_FONT, 7 * (axes_px - room) / (2 * (widest + gap_px)))
        for a in labels:
            a.set_fontsize(size)
        widest = max(a.get_window_extent(renderer).width for a in labels)
    side = widest + gap_px
    pad = side / max(axes_px - 2 * side, 1.0)  # data units either side of [0, 1]
    ax.set_xlim(-pad, 1 + pad)
    return fig
