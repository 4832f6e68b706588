"""Does every piece of text of a chart lie inside the chart's own box?

Two kinds of chart: the report's hand-written SVG (jxscore.report.charts.Svg, returned as data:
URLs) and the analysis pages' matplotlib figures. Both checks return the texts that stick out, so
a failing test names them."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

ASCENT, DESCENT = 0.88, 0.12  # Noto Sans CJK SC, in em: the box a line of text occupies
NS = "{http://www.w3.org/2000/svg}"


def svg_overflows(url: str, slack: float = 0.25) -> list[str]:
    """Texts of an SVG data: URL whose estimated extent leaves the viewBox (pt)."""
    from jxscore.report.charts import text_width

    svg = base64.b64decode(url.split(",", 1)[1])
    root = ET.fromstring(svg)
    _, _, w, h = (float(v) for v in root.get("viewBox").split())
    size0 = float(root.get("font-size"))
    out = []
    for t in root.iter(f"{NS}text"):
        s = t.text or ""
        size = float(t.get("font-size", size0))
        x, y = float(t.get("x")), float(t.get("y"))
        x0, x1 = x, x + text_width(s, size)
        y0, y1 = y - ASCENT * size, y + DESCENT * size
        if x0 < -slack or y0 < -slack or x1 > w + slack or y1 > h + slack:
            out.append(f"{s!r} at ({x0:.1f}..{x1:.1f}, {y0:.1f}..{y1:.1f}) outside {w:g}×{h:g}")
    return out


def mpl_overflows(fig, slack: float = 0.5) -> list[str]:
    """Visible, non-empty text artists of a matplotlib Figure whose drawn extent leaves the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box = fig.bbox
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        e = t.get_window_extent(renderer)
        if e.x0 < box.x0 - slack or e.y0 < box.y0 - slack or e.x1 > box.x1 + slack or e.y1 > box.y1 + slack:
            out.append(f"{t.get_text()!r} at ({e.x0:.0f}..{e.x1:.0f}, {e.y0:.0f}..{e.y1:.0f}) px outside "
                       f"{box.width:.0f}×{box.height:.0f} px")
    return out
