"""Vector charts as SVG data: URLs, drawn with matplotlib in the CJK font.

Text stays text (svg.fonttype='none') with an explicit `font-family: 'Noto Sans CJK SC'` on every
<text>: WeasyPrint draws it with the same font matplotlib measured, it is searchable in the PDF, and
it renders ~3× faster than glyph outlines (fonttype='path', the choice for a PDF-less consumer).
`svg.hashsalt` and Date=None make the bytes repeatable.
matplotlib is imported lazily: only rendering needs it.
"""

from __future__ import annotations

import base64
import functools
import io

from jxscore.report.fonts import FAMILY, cjk_font_file

RED = "#b0171f"
GREY = "#9aa3ad"
DARK = "#333333"
BLUE = "#3b6ea5"


@functools.cache
def cjk_matplotlib(fonttype: str = "none") -> None:
    """Configure matplotlib once per process: Agg/SVG backends only, CJK font, deterministic SVG.

    Reusable by other reports (the what-if page). Raises FontMissingError when the font is absent.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)  # never a GUI backend
    from matplotlib import font_manager

    path = cjk_font_file()
    font_manager.fontManager.addfont(path)  # a .ttc: every face, incl. the SC one fontconfig chose
    matplotlib.rcParams.update({
        "font.family": "sans-serif", "font.sans-serif": [FAMILY], "axes.unicode_minus": False,
        "svg.fonttype": fonttype, "svg.hashsalt": "jxscore", "svg.image_inline": True,
        "font.size": 8, "axes.edgecolor": "#666666", "axes.linewidth": 0.6,
        "xtick.major.width": 0.6, "ytick.major.width": 0.6, "axes.spines.top": False,
        "axes.spines.right": False, "path.simplify": False,
    })


def figure(w_cm: float, h_cm: float, margins: tuple[float, float, float, float] = (0.2, 0.15, 0.97, 0.85)):
    """A pyplot-free Figure (no global state, no GUI) sized in centimetres.

    Fixed margins (left, bottom, right, top as fractions) instead of constrained layout: the charts
    are drawn once per card, and the layout solver was half of their cost.
    """
    cjk_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w_cm / 2.54, h_cm / 2.54))
    left, bottom, right, top = margins
    fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top)
    return fig


def svg_data_url(fig) -> str:
    """The figure as a base64 SVG data: URL (the only kind of URL our PDF fetcher accepts)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def categories_chart(cats: list[dict], city: str) -> str:
    """Each category as % of its maximum: the city against the provincial average and the best city."""
    import numpy as np

    fig = figure(8.0, 5.2, (0.27, 0.17, 0.97, 0.86))
    ax = fig.add_subplot()
    labels = [f"{c['code']} {c['name']}" for c in cats][::-1]
    y = np.arange(len(cats))
    series = [("省平均", [c["avg"] for c in cats], GREY), ("最高", [c["best"] for c in cats], DARK),
              (city, [c["score"] for c in cats], RED)]
    h = 0.26
    for k, (name, vals, col) in enumerate(series):
        pct = [100.0 * v / c["max"] for v, c in zip(vals, cats)][::-1]
        ax.barh(y + (k - 1) * h, pct, height=h, color=col, label=name)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 105)
    ax.set_xlabel("得分占满分比例（%）")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False, fontsize=7)
    return svg_data_url(fig)


def intensity_chart(path: dict, city: str) -> str:
    """Cumulative intensity reduction since the base year against the required 序时进度 path."""
    fig = figure(8.6, 5.2, (0.1, 0.12, 0.98, 0.92))
    ax = fig.add_subplot()
    req = path["required"]
    ax.plot([r["year"] for r in req], [r["req"] for r in req], color=GREY, lw=1.2, ls="--", marker="o", ms=3,
            label=f"序时进度要求（五年目标{path['t5']}%）")
    act = path["actual"]
    ax.plot([a["year"] for a in act], [a["cum"] for a in act], color=RED, lw=1.6, marker="o", ms=3.5,
            label=f"{city}实际累计降低")
    cur = [a for a in act if a["year"] == path["year"]]
    if cur:
        ax.annotate(f"{cur[0]['cum_s']}%", (cur[0]["year"], cur[0]["cum"]), textcoords="offset points",
                    xytext=(-6, 6), ha="right", color=RED, fontsize=7)
    ax.set_xticks(range(path["base_year"], path["end_year"] + 1))
    ax.set_title("累计降低（%）", loc="left", fontsize=7, pad=3)
    ax.axhline(0, color="#cccccc", lw=0.5)
    ax.legend(loc="upper left", frameon=False, fontsize=7)
    return svg_data_url(fig)


def ranking_chart(ranking: list[dict], highlight: str | None = None) -> str:
    """Totals in rank order; the card's city in red."""
    import numpy as np

    fig = figure(8.0, 6.4, (0.19, 0.11, 0.97, 0.98))
    ax = fig.add_subplot()
    y = np.arange(len(ranking))[::-1]
    colors = [RED if r["city"] == highlight else GREY for r in ranking]
    ax.barh(y, [r["total_v"] for r in ranking], color=colors, height=0.7)
    ax.set_yticks(y, [f"{r['rank']}  {r['city']}" for r in ranking])
    for yy, r in zip(y, ranking):
        ax.text(r["total_v"] + 0.6, yy, f"{r['total']} {r['grade']}", va="center", fontsize=6.5,
                color=RED if r["city"] == highlight else DARK)
    ax.set_xlim(0, 125)
    ax.set_xlabel("总分")
    return svg_data_url(fig)


def grades_chart(grades: list[dict]) -> str:
    fig = figure(7.0, 4.6, (0.1, 0.12, 0.98, 0.9))
    ax = fig.add_subplot()
    names = [g["name"] for g in grades]
    counts = [g["count"] for g in grades]
    colors = [BLUE, "#6b93c2", "#c9a227", RED][: len(grades)] + [GREY] * max(0, len(grades) - 4)
    ax.bar(range(len(grades)), counts, color=colors, width=0.6)
    ax.set_xticks(range(len(grades)), names)
    for i, c in enumerate(counts):
        ax.text(i, c + 0.1, str(c), ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, max(counts + [1]) + 1.2)
    ax.set_title("设区市数", loc="left", fontsize=7, pad=3)
    return svg_data_url(fig)


def heatmap_chart(heat: dict) -> str:
    """Fraction of each indicator's points earned, cities (rank order) × indicators; blank = 不适用."""
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap

    vals = np.array([[np.nan if v is None else v for v in row] for row in heat["values"]], dtype=float)
    fig = figure(26.0, 10.5, (0.05, 0.06, 0.99, 0.99))
    ax = fig.add_subplot()
    cmap = LinearSegmentedColormap.from_list("jx", ["#b0171f", "#f2d388", "#f7f7f7"])
    cmap.set_bad("#ffffff")
    im = ax.imshow(np.ma.masked_invalid(vals), cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(heat["codes"])), heat["codes"], fontsize=7)
    ax.set_yticks(range(len(heat["cities"])), heat["cities"], fontsize=8)
    ax.tick_params(length=0)
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            v = vals[i, j]
            txt = "—" if np.isnan(v) else ("1" if v >= 1 else f"{v:.2f}".lstrip("0"))
            ax.text(j, i, txt, ha="center", va="center", fontsize=5.5,
                    color="white" if (not np.isnan(v) and v < 0.45) else DARK)
    for s in ax.spines.values():
        s.set_visible(False)
    cb = fig.colorbar(im, ax=ax, fraction=0.02, pad=0.01)
    cb.ax.set_title("f", fontsize=7)
    return svg_data_url(fig)
