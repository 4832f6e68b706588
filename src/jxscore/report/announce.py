"""The 公示 and 公告 documents (issue 15 item 4).

`Mark`: the provisional mark every page of a scorecard and of the summary carries while a round is
in 公示 (or 征求意见): the kind, the window's end in China Standard Time and the round's version.
Without a mark the documents are exactly what they were.

`announcement_pdf` / `announcement_html`: the 公告 once the provincial government has approved the
result — a red-header notice with the ranking and grades, the vetoes and caps in words (the cards'
own sentences, `report.advice.trigger_text`), the date, the version and the input hash, in the
shared page frame (base.html.j2) and the house font.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the portal imports Mark without the engine
    from jxscore.core.engine import Result

CST = dt.timezone(dt.timedelta(hours=8), "CST")  # 北京时间 (UTC+8, no daylight saving)
KINDS = ("公示稿", "征求意见稿")
_WINDOW = {"公示稿": "公示期截止", "征求意见稿": "征求意见截止"}
ISSUER = "江西省人民政府办公厅"  # the announcement's default issuing body


@dataclass(frozen=True)
class Mark:
    """A provisional mark. `window_end` is a datetime (naive = already 北京时间; aware = converted)
    or a date, which means the end of that day (shown 24:00)."""

    kind: str  # one of KINDS
    window_end: dt.datetime | dt.date
    version: int = 1

    def window_text(self) -> str:
        """"2025年3月15日 17:00" in 北京时间."""
        w = self.window_end
        if isinstance(w, dt.datetime):
            w = w.astimezone(CST) if w.tzinfo is not None else w
            return f"{cn_date(w.date())} {w:%H:%M}"
        return f"{cn_date(w)} 24:00"


def cn_date(d: dt.date) -> str:
    """"2025年3月5日": the way a notice writes a date (no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"


def today_cst() -> dt.date:
    """Today in 北京时间, whatever the machine's zone: the announcement's default date."""
    return dt.datetime.now(CST).date()


def mark_context(mark: Mark) -> dict:
    """The plain data the page mark (templates/mark.html.j2) prints."""
    window = f"{_WINDOW[mark.kind]}：{mark.window_text()}（北京时间）"
    return {"kind": mark.kind, "window": window, "version": f"第{mark.version}版"}


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_window_end(text: str) -> dt.datetime | dt.date:
    """`--window-end`: 2025-03-15T17:00 (北京时间), with seconds or an offset (+08:00, Z), or a date.

    Raises UsageError (bad-option, in Chinese) for anything else."""
    s = (text or "").strip()
    try:
        if _DATE.match(s):
            return dt.date.fromisoformat(s)
        if re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", s):
            return dt.datetime.fromisoformat(s)
    except ValueError:
        pass
    raise _usage("--window-end", text, "@expected.window_end")


def parse_date(text: str) -> dt.date:
    """`--date`: the announcement's date, YYYY-MM-DD."""
    s = (text or "").strip()
    try:
        if _DATE.match(s):
            return dt.date.fromisoformat(s)
    except ValueError:
        pass
    raise _usage("--date", text, "@expected.date")


def make_mark(kind: str | None, window_end: str | None, version: int | None) -> Mark | None:
    """The CLI's --mark/--window-end/--version as a Mark (None without --mark); every problem at once."""
    from jxscore.core.problems import Code, Problem, UsageError

    if kind is None:
        extra = [n for n, v in (("--window-end", window_end), ("--version", version)) if v is not None]
        if extra:
            raise UsageError(Problem.make(Code.BAD_OPTION, option=extra[0], value="", expected="@expected.mark_needed"))
        return None
    problems = []
    if kind not in KINDS:
        problems.append(Problem.make(Code.BAD_OPTION, option="--mark", value=kind, expected="@expected.mark"))
    end = None
    if window_end is None:
        problems.append(Problem.make(Code.BAD_OPTION, option="--window-end", value="",
                                     expected="@expected.window_end"))
    else:
        try:
            end = parse_window_end(window_end)
        except UsageError as e:
            problems += e.problems
    if version is not None and version < 1:
        problems.append(Problem.make(Code.BAD_OPTION, option="--version", value=version, expected="@expected.version"))
    if problems:
        raise UsageError(problems)
    return Mark(kind, end, 1 if version is None else version)


def _usage(option: str, value, expected: str):
    from jxscore.core.problems import Code, Problem, UsageError

    return UsageError(Problem.make(Code.BAD_OPTION, option=option, value="" if value is None else value,
                                   expected=expected))


# ------------------------------------------------------------------ the announcement

def subject(result: Result) -> str:
    """What was assessed, without the region the issuer already names: "设区市人民政府节能减排目标责任评价考核"."""
    s = result.criteria.scheme
    return s.name[len(s.region):] if s.region and s.name.startswith(s.region) else s.name


def _trigger_lines(result: Result) -> tuple[list[dict], list[dict]]:
    """Every veto and cap that hit a city, in rank order, in the cards' words; the grade change
    ("按总分…应为…") follows the first of a city's lines."""
    from jxscore.core.gaps import triggers
    from jxscore.report.advice import trigger_text
    from jxscore.report.formats import num

    vetoes, caps = [], []
    for _, r in result.scores.iterrows():
        hits = {t.code: t for t in triggers(result, r["city"])}
        first = True
        for col, out in (("vetoes", vetoes), ("caps", caps)):
            for code in r[col]:
                t = hits[code]
                verdict = f"考核等级定为{r['grade']}" if col == "vetoes" else f"等级最高为{t.grade}"
                line = f"{r['city']} {code}：{t.reason}——{trigger_text(t)}；{verdict}。"
                if first and r["grade"] != r["base_grade"]:
                    line += f"按总分{num(r['total'])}分应为“{r['base_grade']}”，确定为“{r['grade']}”。"
                first = False
                out.append({"city": r["city"], "code": code, "text": line})
    return vetoes, caps


def announcement_context(result: Result, manifest: dict, *, issuer: str = ISSUER, date: dt.date,
                         version: int = 1) -> dict:
    """Plain data for templates/announcement.html.j2 (or the portal's own page)."""
    from jxscore.report.context import meta
    from jxscore.report.formats import num

    s = result.scores
    what = f"{result.year}年度{subject(result)}"
    rows = [{"rank": int(r["rank"]), "city": r["city"], "grade": r["grade"], "total": num(r["total"])}
            for _, r in s.iterrows()]
    grades = [{"name": g, "n": int((s["grade"] == g).sum()), "cities": "、".join(s.loc[s["grade"] == g, "city"])}
              for g in result.criteria.grade_names]
    vetoes, caps = _trigger_lines(result)
    m = meta(result, manifest)
    return {
        "meta": m, "issuer": issuer, "title": f"{issuer}关于{what}结果的公告",
        "opening": f"经省政府审定同意，现将{what}结果公告如下：", "rows": rows,
        "grades": [g for g in grades if g["n"]], "vetoes": vetoes, "caps": caps,
        "date": cn_date(date), "iso_date": date.isoformat(), "version": f"第{version}版", "n": len(rows),
        "input_hash": m["input_hash"],
    }


def announcement_html(result: Result, manifest: dict, *, issuer: str = ISSUER, date: dt.date,
                      version: int = 1) -> str:
    """The announcement as one self-contained HTML page (the stylesheet inlined): the PDF's source."""
    from jxscore.report.render import environment

    ctx = announcement_context(result, manifest, issuer=issuer, date=date, version=version)
    return environment().get_template("announcement.html.j2").render(**ctx)


def announcement_pdf(result: Result, manifest: dict, out: Path, *, issuer: str = ISSUER, date: dt.date,
                     version: int = 1) -> None:
    """announcement.pdf: fixed PDF dates and identifier, so the same inputs and date give the same bytes."""
    from jxscore.report.pdf import html_to_pdf

    html = announcement_html(result, manifest, issuer=issuer, date=date, version=version)
    html_to_pdf(html, out)  # the identifier is the HTML's hash
