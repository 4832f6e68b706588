"""How a number typed by a clerk is read — or refused. One place, used for every numeric cell.

Decided deliberately, each case tested for CSV and xlsx (tests/test_typing.py):

normalised (read as the clerk meant it)
  full-width digits, signs, point, comma and percent (１２．５％, as a Chinese input method types them),
  via Unicode NFKC; the Unicode minus sign (−) and small/full-width hyphen-minus; spaces of every
  kind around the value (ASCII, no-break, ideographic U+3000, zero-width, BOM); one leading
  apostrophe (Excel's "store as text" mark); thousands separators in groups of three (1,234.5);
  a trailing % in a column whose unit is % (22.5% → 22.5), and, in a workbook, a percent-formatted
  cell (stored 0.225, shown 22.5%) in such a column — the reader turns it into the text "22.5%";
  `NA`, `N/A`, `不适用` and an empty cell mean "no value".
refused (a problem naming the cell, never a guess)
  a formula or an Excel error value (=A1+B1, #DIV/0!); a date (Excel turns 3/4 into a date); a %
  in a column that is not a percentage; a comma that is not a thousands separator (12,5 may be a
  decimal comma); spaces inside the number (1 234); units or words (12吨, 约12, 无, —); ‰;
  infinity or NaN; several points; digits that are not plain or full-width: superscripts and
  subscripts (3050² is a footnote mark, not 30502), circled and parenthesised numbers (①, ⑴, ⒓),
  fractions (½), mathematical and other scripts' digits (𝟏, ٣) — NFKC would quietly make most of
  them plain digits, so they are looked at before it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from jxscore.core.problems import Code

NA_TOKENS = frozenset({"", "na", "n/a", "不适用"})
_SPACES = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters: strip like spaces
_MINUS = {"\u2212": "-", "\ufe63": "-"}  # NFKC leaves these; full-width － becomes - under NFKC
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)  # 0-9 only: float() reads ٣ too
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", re.ASCII)
# NFKC folds of a number's characters that keep their meaning: full-width and half-width forms and
# no-break spaces; of the "<compat>" ones only the spaces (en, em, thin … space). Any other fold
# (<super>, <sub>, <circle>, <fraction>, <font>, "<compat>" 1. …) changes what was typed.
_KEPT_FOLDS = ("<wide>", "<narrow>", "<noBreak>")
_EXCEL_ERROR = re.compile(r"#(N/A|NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|GETTING_DATA|SPILL!|CALC!)", re.I)


def clean_text(raw: str) -> str:
    """NFKC, Unicode minus signs as '-', and every kind of surrounding space removed."""
    s = unicodedata.normalize("NFKC", raw)
    for k, v in _MINUS.items():
        s = s.replace(k, v)
    return s.strip().strip(_SPACES).strip()


@dataclass(frozen=True)
class Parsed:
    """A cell read as a number: `value` (None when empty), or the code of why it was refused."""

    value: float | None = None
    refused: Code | None = None

    @property
    def empty(self) -> bool:
        return self.value is None and self.refused is None


EMPTY = Parsed()


def is_plain_number(s: str) -> bool:
    """`s` is written as a number and nothing else: ASCII digits, an optional sign, point and exponent."""
    return _NUMBER.fullmatch(s) is not None


def _folds_meaning(raw: str) -> bool:
    """Whether NFKC would turn a character of `raw` into something else than what it stands for."""
    for ch in raw:
        if ch.isascii():
            continue
        d = unicodedata.decomposition(ch)
        if d.startswith("<") and not d.startswith(_KEPT_FOLDS) and d != "<compat> 0020":
            return True
    return False


def parse_number(raw: str, *, percent: bool = False) -> Parsed:
    """Read one cell's text. `percent`: the column's unit is % (a trailing % sign is allowed)."""
    if _folds_meaning(raw):
        return Parsed(refused=Code.NOT_A_NUMBER)
    s = clean_text(raw)
    if s.startswith("'"):
        s = s[1:].strip()
    if s.casefold() in NA_TOKENS:
        return EMPTY
    if s.startswith(("=", "@")) or _EXCEL_ERROR.fullmatch(s):
        return Parsed(refused=Code.FORMULA)
    if s.endswith("%"):
        if not percent:
            return Parsed(refused=Code.PERCENT_NOT_ALLOWED)
        s = s[:-1].rstrip()
    if "," in s:
        if not _GROUPED.fullmatch(s):
            return Parsed(refused=Code.AMBIGUOUS_SEPARATOR)
        s = s.replace(",", "")
    if not _NUMBER.fullmatch(s):
        return Parsed(refused=Code.NOT_A_NUMBER)
    v = float(s)
    if v != v or v in (float("inf"), float("-inf")):
        return Parsed(refused=Code.NOT_A_NUMBER)
    return Parsed(v + 0.0)  # no negative zero


def parse_year(raw: str) -> Parsed:
    """A year, as a number or written 2024年."""
    s = clean_text(raw)
    if s.endswith("年"):
        s = s[:-1].strip()
    p = parse_number(s)
    if p.value is not None and (p.value != int(p.value) or not 1900 <= p.value <= 2100):
        return Parsed(refused=Code.BAD_YEAR)
    return Parsed(refused=Code.BAD_YEAR) if p.refused else p


def city_name(raw: str, names: dict[str, str]) -> str | None:
    """The scheme's short city name for what was typed: 南昌, 南昌市, 360100 — or None."""
    s = clean_text(raw).replace(" ", "")
    if s in names:
        return names[s]
    if s.endswith("市") and s[:-1] in names:
        return names[s[:-1]]
    return None
