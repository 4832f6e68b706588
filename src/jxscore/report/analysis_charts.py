"""What the analysis pages (what-if, sensitivity, compare-methods) share: a matplotlib figure as
repeatable SVG bytes. The charts themselves live beside their pages (whatif_charts,
sensitivity_charts, methods_charts); matplotlib loads only when a chart is drawn."""

from __future__ import annotations

import io


def svg_bytes(fig) -> bytes:
    """The figure as SVG bytes with no date or creator, so reruns give identical files."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()
