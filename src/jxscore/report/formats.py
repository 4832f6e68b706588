"""One number format per quantity, for every page (scorecards, summary, analysis pages): points
with 2 decimals (`num`), percentages with 1–2 (`pct`), intensities with 4, 万吨标准煤 with 2, other
figures as reported, up to 2 decimals (`short`)."""

from __future__ import annotations

import math
from typing import Any

INTENSITY = 4  # 吨标准煤/万元


def num(x: Any, nd: int = 2) -> str:
    """A number as the cards print it: fixed decimals, thousands separators, '—' for missing."""
    v = finite(x)
    if v is None:
        return "—"
    s = f"{v:,.{nd}f}"
    return s[1:] if s.startswith("-") and not s.strip("-0.,") else s  # never "-0.00"


def short(x: Any, nd: int = 2) -> str:
    """Up to `nd` decimals without trailing zeros (actuals and targets as reported)."""
    s = num(x, nd)
    return s.rstrip("0").rstrip(".") if "." in s else s


def finite(x: Any) -> float | None:
    """`x` as a finite float, or None (missing, NaN, text)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def pct(x: float) -> str:
    """A percentage (or percentage points): 2 decimals, one trailing zero dropped (68.0, 88.85, 0.04)."""
    s = num(x, 2)
    return s[:-1] if s.endswith("0") and "." in s else s


def amount(x: float, unit: str) -> str:
    """A figure in `unit` as the cards print it."""
    if unit == "%":
        return pct(x)
    if unit == "万吨标准煤":
        return num(x, 2)
    return short(x, 2)
