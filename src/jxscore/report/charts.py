"""Charts as SVG data: URLs.

The scorecard and summary charts are written directly as small SVG documents (a few dozen
<rect>/<polyline>/<text> elements, coordinates in pt, text as text in the CJK font): no matplotlib
in the render workers, nothing for WeasyPrint to parse but what is drawn, and the same bytes on
every run (numbers formatted with fixed decimals, no ids, no dates). Text widths for placing labels
come from a simple advance-width estimate (CJK 1 em, digits and Latin about 0.55 em).

`cjk_matplotlib`, `figure` and `svg_data_url` stay for the what-if and sensitivity figures
(jxscore.report.whatif_charts, sensitivity_charts, methods_charts); matplotlib is imported only there, lazily.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from xml.sax.saxutils import escape, quoteattr

from jxscore.report.fonts import FAMILY, cjk_font_file

RED = "#b0171f"
GREY = "#9aa3ad"
DARK = "#333333"
BLUE = "#3b6ea5"
AXIS = "#666666"
GRID = "#e3e3e3"
GRADE_COLOURS = (BLUE, "#6b93c2", "#c9a227", RED)  # 超额完成, 完成, 基本完成, 未完成: the grade chart and the map


# ---------------------------------------------------------------- matplotlib (analysis figures)

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
    """A pyplot-free matplotlib Figure (no global state, no GUI) sized in centimetres."""
    cjk_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w_cm / 2.54, h_cm / 2.54))
    left, bottom, right, top = margins
    fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top)
    return fig


def svg_data_url(fig) -> str:
    """A matplotlib figure as a base64 SVG data: URL (the only kind of URL our PDF fetcher accepts)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    return data_url(buf.getvalue())


def data_url(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


# ---------------------------------------------------------------- hand-written SVG

def _n(x: float) -> str:
    """A coordinate with two decimals at most, no '-0'."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# Advance widths (1/1000 em) of the ASCII glyphs in Noto Sans CJK SC; CJK ideographs and
# full-width punctuation are 1 em. Used to place labels, and to anchor text ourselves: WeasyPrint
# draws every <text> with text-anchor="middle"/"end" into a PDF form object of its own.
_ADV = {ch: w for w, chars in (
    (224, " "), (270, "|"), (275, "ij"), (278, "',.:;"), (284, "l"), (293, "I"), (323, "!"), (325, "f"),
    (338, "()[]{}"), (347, "-"), (377, "t"), (388, "r"), (392, "/\\"), (467, "*"), (468, "s"), (474, "\"?"),
    (475, "z"), (498, "x"), (510, "c"), (521, "vy"), (531, "Y"), (535, "J"), (543, "L"), (552, "Fk"),
    (554, "e"), (555, "#$+0123456789<=>^~"), (559, "_"), (563, "a"), (564, "g"), (573, "X"), (575, "V"),
    (589, "E"), (596, "S"), (599, "T"), (603, "Z"), (606, "`o"), (607, "hu"), (608, "A"), (610, "n"),
    (618, "b"), (620, "dpq"), (633, "P"), (635, "R"), (638, "C"), (646, "K"), (657, "B"), (680, "&"),
    (688, "D"), (689, "G"), (721, "U"), (723, "N"), (728, "H"), (742, "OQ"), (802, "w"), (812, "M"),
    (878, "W"), (894, "—"), (921, "%"), (926, "m"), (946, "@"), (411, "³"),
) for ch in chars}


def text_width(s: str, size: float) -> float:
    """Advance width (pt) of `s` in Noto Sans CJK SC at `size` pt, without kerning: where each
    letter of a label lands when drawn (pdf.use_whole_svg_text draws it as one run, letter for letter
    where WeasyPrint's own SVG code sets each on its own; tests/test_report.py compares the two)."""
    return sum(_ADV.get(ch, 1000 if ord(ch) >= 0x2E80 else 600) for ch in s) * size / 1000


class Svg:
    """A tiny SVG writer: width × height in pt, elements appended as text."""

    def __init__(self, w: float, h: float, size: float = 7.0):
        self.w, self.h, self.size = w, h, size
        self.parts: list[str] = []

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0.0))}" height="{_n(h)}" fill="{fill}"/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = AXIS, width: float = 0.6,
             dash: str | None = None) -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
                          f'stroke-width="{_n(width)}"{d}/>')

    def polyline(self, pts: list[tuple[float, float]], stroke: str, width: float, dash: str | None = None) -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        p = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
        self.parts.append(f'<polyline points="{p}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}"{d}/>')

    def circle(self, x: float, y: float, r: float, fill: str) -> None:
        self.parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}"/>')

    def text(self, x: float, y: float, s: str, anchor: str = "start", size: float | None = None,
             fill: str = DARK) -> None:
        """`y` is the baseline; `anchor` start, middle or end is applied here, from text_width."""
        if anchor != "start":
            x -= text_width(s, size or self.size) / (2 if anchor == "middle" else 1)
        f = "" if size is None else f' font-size="{_n(size)}"'
        c = "" if fill == DARK else f' fill="{fill}"'
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y)}"{f}{c}>{escape(s)}</text>')

    def url(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.w)}pt" height="{_n(self.h)}pt" '
                f'viewBox="0 0 {_n(self.w)} {_n(self.h)}" font-family={quoteattr(FAMILY)} '
                f'font-size="{_n(self.size)}" fill="{DARK}">')
        return data_url((head + "".join(self.parts) + "</svg>").encode("utf-8"))


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5, 5 × 10^k steps)."""
    span = max(hi - lo, 1e-9)
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-6:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi - 1e-9:
        ticks.append(round(t, 10))
    return ticks


def _tick(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if abs(v - round(v)) > 1e-9 else f"{round(v)}"


def _legend(g: Svg, x: float, y: float, items: list[tuple[str, str, str]], size: float = 6.5) -> float:
    """Swatches left to right from (x, baseline y); kind 'bar' or 'line' or 'dash'. Returns the end x."""
    for name, color, kind in items:
        if kind == "bar":
            g.rect(x, y - size * 0.75, size * 0.9, size * 0.75, color)
            x += size * 0.9 + 2
        else:
            g.line(x, y - size * 0.35, x + 11, y - size * 0.35, color, 1.1 if kind == "dash" else 1.4,
                   "2.4,1.4" if kind == "dash" else None)
            g.circle(x + 5.5, y - size * 0.35, 1.5, color)
            x += 13
        g.text(x, y, name, size=size)
        x += text_width(name, size) + 7
    return x


def categories_chart(cats: list[dict], city: str, w: float = 165.0, h: float = 122.0) -> str:
    """Each category as % of its maximum: the city against the provincial average and the best city."""
    g = Svg(w, h)
    labels = [f"{c['code']} {c['name']}" for c in cats]
    left = max(text_width(s, 6.5) for s in labels) + 5
    top, bottom, right = 15.0, 22.0, 6.0
    pw, ph = w - left - right, h - top - bottom
    series = [("省平均", "avg", GREY), ("最高", "best", DARK), (city, "score", RED)]
    _legend(g, 2, 8, [(name, col, "bar") for name, _, col in series], 6.2)
    for t in range(0, 101, 25):
        x = left + pw * t / 100
        g.line(x, top, x, top + ph, GRID, 0.5)
        if t % 50 == 0:
            g.text(x, top + ph + 8, str(t), "middle", 6.2)
    band = ph / len(cats)
    bh = band * 0.78 / 3
    for i, c in enumerate(cats):
        y0 = top + band * i + band * 0.11
        g.text(left - 3, y0 + 1.5 * bh + 2.3, labels[i], "end", 6.5)
        for k, (_, key, col) in enumerate(series):
            pct = max(0.0, min(100.0, 100.0 * c[key] / c["max"])) if c["max"] else 0.0
            g.rect(left, y0 + k * bh, pw * pct / 100, bh * 0.92, col)
    g.line(left, top, left, top + ph)
    g.line(left, top + ph, left + pw, top + ph)
    g.text(left + pw / 2, h - 3, "得分占满分比例（%）", "middle", 6.5)
    return g.url()


def intensity_chart(path: dict, city: str, w: float = 165.0, h: float = 122.0) -> str:
    """Cumulative intensity reduction since the base year against the required 序时进度 path."""
    g = Svg(w, h)
    req = [(r["year"], r["req"]) for r in path["required"]]
    act = [(a["year"], a["cum"]) for a in path["actual"]]
    vals = [v for _, v in req + act]
    ticks = nice_ticks(min(0.0, min(vals)), max(vals) * 1.08, 5)
    lo, hi = ticks[0], ticks[-1]
    left = max(text_width(_tick(t), 6.2) for t in ticks) + 6
    top, bottom, right = 34.0, 12.0, 8.0
    pw, ph = w - left - right, h - top - bottom
    y0, y1 = path["base_year"], path["end_year"]

    def X(year: float) -> float:
        return left + pw * (year - y0) / max(y1 - y0, 1)

    def Y(v: float) -> float:
        return top + ph * (hi - v) / (hi - lo)

    _legend(g, 2, 8, [(f"序时进度要求（五年目标{path['t5']}%）", GREY, "dash")], 6.2)
    _legend(g, 2, 17, [(f"{city}实际累计降低", RED, "line")], 6.2)
    g.text(2, 28, "累计降低（%）", size=6.2)
    for t in ticks:
        g.line(left, Y(t), left + pw, Y(t), GRID if t else "#bbbbbb", 0.5)
        g.text(left - 3, Y(t) + 2.1, _tick(t), "end", 6.2)
    for yr in range(y0, y1 + 1):
        g.text(X(yr), top + ph + 8.5, str(yr), "middle", 6.2)
    g.line(left, top, left, top + ph)
    g.polyline([(X(a), Y(b)) for a, b in req], GREY, 1.1, "2.4,1.4")
    for a, b in req:
        g.circle(X(a), Y(b), 1.5, GREY)
    g.polyline([(X(a), Y(b)) for a, b in act], RED, 1.4)
    for a, b in act:
        g.circle(X(a), Y(b), 1.8, RED)
    cur = [a for a in path["actual"] if a["year"] == path["year"]]
    if cur:
        x, y = X(cur[0]["year"]), Y(cur[0]["cum"])
        g.text(x - 3, y - 4, f"{cur[0]['cum_s']}%", "end", 6.2, RED)
    return g.url()


def ranking_chart(ranking: list[dict], highlight: str | None = None, w: float = 165.0, h: float = 122.0) -> str:
    """Totals in rank order, each bar labelled with rank, city, total and grade; the card's city in
    red. No value axis: every bar carries its number (fewer text runs for WeasyPrint to set)."""
    g = Svg(w, h)
    labels = [f"{r['rank']}  {r['city']}" for r in ranking]
    values = [f"{r['total']} {r['grade']}" for r in ranking]
    left = max(text_width(s, 6.2) for s in labels) + 4
    vmax = max(text_width(s, 5.8) for s in values) + 3
    top, bottom, right = 2.0, 2.0, 1.0
    xmax = max([r["total_v"] for r in ranking] + [1.0])
    pw = w - left - right - vmax
    scale = pw / xmax
    ph = h - top - bottom
    band = ph / max(len(ranking), 1)
    for i, r in enumerate(ranking):
        me = r["city"] == highlight
        col = RED if me else GREY
        y = top + band * i
        x1 = left + max(r["total_v"], 0.0) * scale
        g.rect(left, y + band * 0.15, x1 - left, band * 0.7, col)
        g.text(left - 3, y + band * 0.5 + 2.2, labels[i], "end", 6.2, RED if me else DARK)
        g.text(x1 + 1.5, y + band * 0.5 + 2.0, values[i], "start", 5.8, RED if me else DARK)
    g.line(left, top, left, top + ph)
    return g.url()


def grades_chart(grades: list[dict], w: float = 230.0, h: float = 115.0) -> str:
    """Cities per grade as columns."""
    g = Svg(w, h, 7.5)
    top, bottom, left, right = 18.0, 16.0, 18.0, 6.0
    pw, ph = w - left - right, h - top - bottom
    counts = [gr["count"] for gr in grades]
    ticks = nice_ticks(0, max(counts + [1]) + 1, 4)
    hi = ticks[-1]
    colors = list(GRADE_COLOURS[: len(grades)]) + [GREY] * max(0, len(grades) - 4)
    g.text(2, 8, "设区市数", size=6.5)
    for t in ticks:
        y = top + ph * (1 - t / hi)
        g.line(left, y, left + pw, y, GRID, 0.5)
        g.text(left - 3, y + 2.2, _tick(t), "end", 6.5)
    band = pw / max(len(grades), 1)
    for i, (gr, col) in enumerate(zip(grades, colors)):
        x = left + band * i + band * 0.2
        bh = ph * gr["count"] / hi
        g.rect(x, top + ph - bh, band * 0.6, bh, col)
        g.text(x + band * 0.3, top + ph - bh - 3, str(gr["count"]), "middle")
        g.text(x + band * 0.3, top + ph + 10, gr["name"], "middle", 7)
    g.line(left, top + ph, left + pw, top + ph)
    return g.url()


def _heat_color(v: float) -> str:
    """#b0171f (0) → #f2d388 (0.5) → #f7f7f7 (1), linear in RGB."""
    stops = [(0.0, (0xB0, 0x17, 0x1F)), (0.5, (0xF2, 0xD3, 0x88)), (1.0, (0xF7, 0xF7, 0xF7))]
    v = min(max(v, 0.0), 1.0)
    for (a, ca), (b, cb) in zip(stops, stops[1:]):
        if v <= b:
            t = (v - a) / (b - a)
            return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))
    return "#f7f7f7"


def heatmap_chart(heat: dict, w: float = 760.0, h: float = 240.0) -> str:
    """Fraction of each indicator's points earned, cities (rank order) × indicators; — = 不适用.

    Full marks are left as pale cells without a number, so the eye (and the page) goes to the losses.
    """
    g = Svg(w, h, 5.6)
    cities, codes, vals = heat["cities"], heat["codes"], heat["values"]
    left = max(text_width(c, 7.5) for c in cities) + 6
    top, bottom, right = 4.0, 14.0, 46.0
    pw, ph = w - left - right, h - top - bottom
    cw, rh = pw / max(len(codes), 1), ph / max(len(cities), 1)
    cells: dict[str, list[str]] = {}  # colour → its cells, drawn as ONE path (a node per cell costs WeasyPrint)
    for i, row in enumerate(vals):
        for j, v in enumerate(row):
            fill = "#ffffff" if v is None else _heat_color(v)
            cells.setdefault(fill, []).append(f"M{_n(left + cw * j + 0.3)},{_n(top + rh * i + 0.3)}"
                                              f"h{_n(cw - 0.6)}v{_n(rh - 0.6)}h{_n(0.6 - cw)}Z")
    for fill, d in cells.items():
        g.parts.append(f'<path d="{"".join(d)}" fill="{fill}"/>')
    for i, city in enumerate(cities):
        y = top + rh * i
        g.text(left - 4, y + rh / 2 + 2.6, city, "end", 7.5)
        for j, v in enumerate(vals[i]):
            x = left + cw * j
            if v is None:
                g.text(x + cw / 2, y + rh / 2 + 2, "—", "middle", fill="#999999")
                continue
            if v < 1:
                g.text(x + cw / 2, y + rh / 2 + 2, f"{v:.2f}".lstrip("0") if v > 0 else "0", "middle",
                       fill="#ffffff" if v < 0.45 else DARK)
    for j, code in enumerate(codes):
        g.text(left + cw * j + cw / 2, top + ph + 9, code, "middle", 6.5)
    # colour key
    kx, ky, kh = w - right + 12, top + 6, ph - 20
    for s in range(20):
        g.rect(kx, ky + kh * s / 20, 8, kh / 20 + 0.3, _heat_color(1 - s / 20))
    for t in (0.0, 0.5, 1.0):
        g.text(kx + 11, ky + kh * (1 - t) + 2, _tick(t), size=6.5)
    g.text(kx, ky - 1.5, "f", size=7)
    return g.url()

