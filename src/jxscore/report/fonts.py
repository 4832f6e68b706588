"""Find the CJK font through fontconfig before rendering, so a missing font stops the run
instead of printing tofu boxes."""

from __future__ import annotations

import functools
import shutil
import subprocess

from jxscore.core.problems import Code, JxError, Problem

FAMILY = "Noto Sans CJK SC"
SERIF_FAMILY = "Noto Serif CJK SC"
CSS_STACK = f'"{FAMILY}", "Noto Sans CJK"'


class FontMissingError(JxError):
    """The CJK font the scorecards need is not installed."""

    def __init__(self, detail: str):
        super().__init__(Problem.make(Code.FONT_MISSING, family=FAMILY, reason=detail))


def _match(pattern: str, fmt: str) -> str:
    exe = shutil.which("fc-match")
    if exe is None:
        raise FontMissingError("fontconfig's fc-match is not available")
    res = subprocess.run([exe, "-f", fmt, pattern], capture_output=True, text=True, check=False)
    return res.stdout.strip()


@functools.cache
def cjk_font_file(family: str = FAMILY) -> str:
    """Path of the font file fontconfig picks for `family` (zh-CN); raises if it is a fallback.

    fc-match always answers with *some* font, so the family it reports is checked too.
    """
    pattern = f"{family}:lang=zh-cn"
    got = _match(pattern, "%{family}")
    if family.lower() not in got.lower():
        raise FontMissingError(f"fontconfig offers {got or 'nothing'!s} instead")
    path = _match(pattern, "%{file}")
    if not path:
        raise FontMissingError("fontconfig gave no file")
    return path


@functools.cache
def cjk_font_face(family: str = FAMILY) -> tuple[str, int]:
    """The file and the face index inside it (a .ttc holds several) of the CJK face fontconfig picks."""
    path = cjk_font_file(family)
    index = _match(f"{family}:lang=zh-cn", "%{index}")
    return path, int(index or 0)


def has_serif() -> bool:
    """Titles use the serif CJK face when present (official look); sans is the fallback."""
    try:
        cjk_font_file(SERIF_FAMILY)
        return True
    except FontMissingError:
        return False
