"""Time as the portal sees it: UTC inside, China Standard Time for people and deadlines.

A clock is passed in (never read from a global) so lock-outs and 公示 windows are tested without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")  # China has no daylight saving time: a fixed offset is exact

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until moved: `clock.advance(minutes=15)`."""

    def __init__(self, start: datetime):
        self.now = start if start.tzinfo else start.replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def cst(t: datetime | None) -> str:
    """A time as people in the province read it: `2025-03-01 09:30（北京时间）`."""
    if t is None:
        return ""
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def window_text(end: datetime | None) -> str:
    """A deadline as people say it: 24:00 of its last day (`2025-03-18 24:00`), else the exact time (北京时间)."""
    if end is None:
        return ""
    t = end.astimezone(CST)
    if (t.hour, t.minute, t.second) == (0, 0, 0):
        return f"{(t - timedelta(days=1)).date().isoformat()} 24:00"
    return t.strftime("%Y-%m-%d %H:%M")
