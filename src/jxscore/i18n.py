"""Words for people, from the gettext catalogue in `locale/` (Chinese by default, English on request).

Message ids are the problem codes of `jxscore.core.problems` and a few ids of the edge's own
(`ui.*`, `col.*`). Arguments are filled with str.format; an argument whose value is "@id" is first
replaced by that message, formatted with the same arguments (a reason or a bound inside a message).
The .po files are the source; `make messages` compiles them to the .mo files read here.
"""

from __future__ import annotations

import functools
import gettext
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from jxscore.resources import locale_dir

if TYPE_CHECKING:
    from jxscore.core.problems import Problem

LANGS = {"zh": "zh_CN", "en": "en"}
DEFAULT_LANG = "zh"


def resolve_lang(lang: str | None) -> str:
    lang = (lang or os.environ.get("JXSCORE_LANG") or DEFAULT_LANG).lower().replace("-", "_")
    return "en" if lang.startswith("en") else "zh"


@functools.cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    return gettext.translation("jxscore", localedir=str(locale_dir()), languages=[LANGS[lang]])


def text(msgid: str, lang: str | None = None, **args: object) -> str:
    """The message `msgid` in `lang`, its placeholders filled from `args`."""
    lang = resolve_lang(lang)
    cat = _catalogue(lang)
    vals = {k: (text(v[1:], lang, **{a: b for a, b in args.items() if a != k})
                if _is_ref(k, v, cat) else v) for k, v in args.items()}
    template = cat.gettext(msgid)
    try:
        return template.format_map(_Missing(vals))
    except Exception:  # noqa: BLE001 - a template error must never hide the problem itself
        return template


def _is_ref(key: str, v: object, cat: gettext.NullTranslations) -> bool:
    """"@id" names a message — only an id the catalogue has, and never the value a user typed."""
    if key == "value" or not isinstance(v, str) or not v.startswith("@"):
        return False
    return cat.gettext(v[1:]) != v[1:]


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return ""


def message(p: Problem, lang: str | None = None) -> str:
    args = dict(p.params)
    args.setdefault("value", p.value)
    args.setdefault("column", p.column)
    args.setdefault("city", p.city)
    args.setdefault("file", p.file)
    return text(p.code.value, lang, **args)


COLUMNS = ("severity", "code", "file", "sheet", "row", "column", "cell", "city", "path", "value", "expected",
           "message")
# the parameters that say what a cell or field should hold, in the order looked for: `expected` of
# option and criteria problems, `bound` of a range, `what` (the kind of number) of a refused cell
EXPECTED_KEYS = ("expected", "bound", "what")


def expected(p: Problem, lang: str | None = None) -> str:
    """What was expected instead of the value, in words (empty when the problem does not say)."""
    args = p.params
    keys = EXPECTED_KEYS + (("reason",) if args.get("reason", "").startswith("@pyd.") else ())  # a field's limit
    for k in keys:
        v = args.get(k, "")
        if v:
            lang = resolve_lang(lang)
            return text(v[1:], lang, **args) if _is_ref(k, v, _catalogue(lang)) else v
    return ""


def problem_record(p: Problem, lang: str | None = None) -> dict[str, str]:
    return {"severity": p.severity.value, "code": p.code.value, "file": p.file, "sheet": p.sheet,
            "row": "" if p.row is None else str(p.row), "column": p.column, "cell": p.cell, "city": p.city,
            "path": p.path, "value": p.value, "expected": expected(p, lang), "message": message(p, lang)}


def problem_rows(problems: Iterable[Problem], lang: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a table of problems; columns that are empty for every problem are left out."""
    recs = [problem_record(p, lang) for p in problems]
    cols = [c for c in COLUMNS if c in ("code", "message") or any(r[c] for r in recs)]
    rows = [[(text(f"sev.{r[c]}", lang) if c == "severity" else r[c]) for c in cols] for r in recs]
    return [text(f"col.{c}", lang) for c in cols], rows


def problems_json(problems: Iterable[Problem], lang: str | None = None) -> str:
    recs = [problem_record(p, lang) | {"row": p.row} for p in problems]
    return json.dumps(recs, ensure_ascii=False, indent=2) + "\n"


def problems_csv(problems: Iterable[Problem], lang: str | None = None) -> str:
    import csv
    import io

    from jxscore.io.writers import safe_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for p in problems:
        rec = problem_record(p, lang)
        w.writerow([safe_text(rec[c]) for c in COLUMNS])
    return buf.getvalue()
