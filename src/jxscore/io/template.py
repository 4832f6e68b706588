"""The reporting workbooks (`jxscore template`): one per city, `<slug>.xlsx`, and the office's `office.xlsx`.

The layout is the contract of `jxscore.io.workbooks` (read back by `jxscore collect`); every value
range, unit and label comes from the table specs (`jxscore.core.tables`) — the same specs the
validator checks — so a workbook refuses at typing time what `jxscore validate` would refuse later.

Each input cell is unlocked, shaded and has a data validation with a Chinese prompt and error
message; everything else is locked by sheet protection (no password unless one is given) and the
workbook structure is locked (no sheets added, renamed or unhidden). Bytes are reproducible: fixed
document times and fixed zip entry times, so the same inputs give the same files.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jxscore.core.criteria import Bounds, Criteria, Entity
from jxscore.core.inputs import check_year
from jxscore.core.problems import Code, InputError, Problem, UsageError
from jxscore.core.tables import ColumnSpec, Kind, table_specs
from jxscore.io import workbooks as W
from jxscore.io.atomic import staged_output

FIXED_TIME = dt.datetime(2021, 1, 1)  # document created/modified: a constant, so two runs give the same bytes
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

HEAD_FILL = "DDE6F0"  # headers
LOCKED_FILL = "F2F2F2"  # pre-filled, locked
INPUT_FILL = "FFF8DC"  # to be filled
NA_TOKENS_FORMULA = ("NA", "N/A", W.NOT_APPLICABLE)  # what "no value" may be written as (jxscore.core.numbers)
TEXT_MAX = 255  # longest free text accepted in a text cell
FONT = "Calibri"  # the workbook's default font (CJK text falls back to the system's East Asian font)


def template_columns(c: Criteria) -> dict[str, list[str]]:
    return {name: spec.names for name, spec in table_specs(c).items()}


# --------------------------------------------------------------------------- validations
def _num(v: float) -> str:
    return f"{v:g}"


def range_text(b: Bounds) -> str:
    """The range in words, to read after 应为: 0与100之间, 不小于0, 大于0且小于100 …"""
    if b.ge is not None and b.le is not None:
        return f"{_num(b.ge)}与{_num(b.le)}之间"
    parts = []
    if b.gt is not None:
        parts.append(f"大于{_num(b.gt)}")
    if b.ge is not None:
        parts.append(f"不小于{_num(b.ge)}")
    if b.lt is not None:
        parts.append(f"小于{_num(b.lt)}")
    if b.le is not None:
        parts.append(f"不大于{_num(b.le)}")
    return "且".join(parts)


def _short(s: str, n: int) -> str:
    """Excel refuses validation titles over 32 and texts over 255 characters."""
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass(frozen=True)
class Rule:
    """One data validation: openpyxl's DataValidation arguments (the sqref is added by the sheet)."""

    type: str
    formula1: str | None = None
    formula2: str | None = None
    operator: str | None = None
    prompt_title: str = ""
    prompt: str = ""
    error: str = ""

    def make(self):
        from openpyxl.worksheet.datavalidation import DataValidation

        return DataValidation(
            type=self.type, operator=self.operator, formula1=self.formula1, formula2=self.formula2,
            allow_blank=True, showErrorMessage=True, showInputMessage=True, errorStyle="stop",
            errorTitle="输入不符合要求", error=_short(self.error, 255),
            promptTitle=_short(self.prompt_title, 32), prompt=_short(self.prompt, 255))


def number_rule(col: ColumnSpec, ref: str, label: str, *, above_ref: str | None = None,
                above_label: str = "", allow_na: bool | None = None) -> Rule:
    """A numeric cell's validation, as a formula relative to its own cell `ref` (e.g. E5).

    A custom formula states the spec's range exactly (> and ≥ alike), whole numbers for counts and
    years, 0/1 for flags, "greater than the other column" (`above`), and — where the spec lets a
    cell be empty — NA/不适用 written as "no value", as `jxscore validate` reads them.
    """
    if allow_na is None:
        allow_na = col.need != "always"
    b = col.bounds
    conds = [f"ISNUMBER({ref})"]
    for op, v in ((">", b.gt), (">=", b.ge), ("<", b.lt), ("<=", b.le)):
        if v is not None:
            conds.append(f"{ref}{op}{_num(v)}")
    what = range_text(b)
    if col.kind in (Kind.COUNT, Kind.YEAR):
        conds.append(f"INT({ref})={ref}")
        if col.kind == Kind.COUNT and b.ge is None and b.gt is None:
            conds.append(f"{ref}>=0")
            what = "不小于0"
        kind_words = "整数"
    elif col.kind == Kind.FLAG:
        conds.append(f"OR({ref}=0,{ref}=1)")
        what, kind_words = "", "0或1"
    else:
        kind_words = "数字"
    if above_ref:
        conds.append(f"OR(NOT(ISNUMBER({above_ref})),{ref}>{above_ref})")
    formula = f"AND({','.join(conds)})"
    if allow_na:
        formula = "OR(" + formula + "".join(f',{ref}="{t}"' for t in NA_TOKENS_FORMULA) + ")"
    need = f"应为{what}的{kind_words}" if what else f"应为{kind_words}"
    if above_ref:
        need += f"，且大于{above_label}"
    unit = col.unit if col.unit and col.unit != "分" else ""
    prompt = (f"单位：{unit}。" if unit else "") + need + "。"
    if col.percent:
        prompt += "填百分数，如14.5表示14.5%。"
    prompt += "无数值可报的填NA或不适用。" if allow_na else "不能填文字。"
    error = f"{label}：{need}；只填纯数字，不带单位和文字" + ("（无数值可填NA或不适用）" if allow_na else "") + "。"
    return Rule("custom", formula, prompt_title=label, prompt=prompt, error=error)


def text_rule(label: str, *, length: int | None = None, longest: int = TEXT_MAX, prompt: str = "") -> Rule:
    if length is not None:
        return Rule("textLength", str(length), operator="equal", prompt_title=label,
                    prompt=prompt or f"{length}位。", error=f"{label}：应为{length}位字符。")
    return Rule("textLength", str(longest), operator="lessThanOrEqual", prompt_title=label,
                prompt=prompt or f"文字，不超过{longest}字。", error=f"{label}：文字不超过{longest}字。")


def list_rule(label: str, choices: list[str] | tuple[str, ...], prompt: str = "") -> Rule:
    return Rule("list", '"' + ",".join(choices) + '"', prompt_title=label,
                prompt=prompt or f"从下拉列表中选择：{'、'.join(choices)}。",
                error=f"{label}：应为{'、'.join(choices)}之一。")


def _excel_serial(d: dt.date) -> int:
    return (d - dt.date(1899, 12, 30)).days


# --------------------------------------------------------------------------- sheet helpers
def display_width(s: str) -> int:
    """Columns a text takes: CJK and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(s))


class Sheet:
    """A worksheet being written: styles, validations, widths, protection and print set-up in one place."""

    def __init__(self, wb, title: str, header_rows: int, *, landscape: bool | None = None, password: str | None = None,
                 first: bool = False):
        self.ws = wb.active if first else wb.create_sheet()
        self.ws.title = title
        self.header_rows = header_rows
        self.landscape = landscape
        self.password = password
        self.rules: dict[Rule, list[str]] = {}
        self.widths: dict[int, float] = {}
        self.styles: dict[tuple, object] = {}  # (kind, format, centred) → a styled cell's StyleArray

    def put(self, row: int, col: int, value, *, kind: str = "locked", fmt: str | None = None,
            center: bool = False):
        """kind: header, label, locked (pre-filled), input (unlocked, shaded)."""
        cell = self.ws.cell(row=row, column=col)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # never a live formula
        key = (kind, fmt, center)
        style = self.styles.get(key)
        if style is not None:  # copying a styled cell's style is ~50× faster than setting each part
            cell._style = copy.copy(style)
            return cell
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

        thin = Side(style="thin", color="A6A6A6")
        cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        if kind in ("header", "label"):
            cell.font = Font(name=FONT, size=11, bold=kind == "header")
            cell.fill = PatternFill("solid", fgColor=HEAD_FILL)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        elif kind == "input":
            cell.fill = PatternFill("solid", fgColor=INPUT_FILL)
            cell.protection = Protection(locked=False)
            cell.alignment = Alignment(vertical="center", wrap_text=fmt == "@" or None)
        else:
            cell.fill = PatternFill("solid", fgColor=LOCKED_FILL)
            cell.alignment = Alignment(vertical="center", horizontal="center" if center else None)
        if fmt:
            cell.number_format = fmt
        self.styles[key] = copy.copy(cell._style)
        return cell

    def validate(self, rule: Rule, ref: str) -> None:
        self.rules.setdefault(rule, []).append(ref)

    def width(self, col: int, w: float) -> None:
        self.widths[col] = max(self.widths.get(col, 0), w)

    def finish(self, *, freeze: str | None, title_rows: str | None = None, title_cols: str | None = None,
               header: str = "") -> None:
        from openpyxl.worksheet.properties import PageSetupProperties

        ws = self.ws
        for rule, refs in self.rules.items():
            dv = rule.make()
            for ref in refs:
                dv.add(ref)
            ws.add_data_validation(dv)
        total = 0.0
        for col, w in sorted(self.widths.items()):
            ws.column_dimensions[W.column_letter(col)].width = w
            total += w
        for r in range(1, self.header_rows + 1):  # wrapped headers: tall enough for their lines
            lines = 1
            for cell in ws[r]:
                if cell.value is not None:
                    w = self.widths.get(cell.column, 10)
                    lines = max(lines, math.ceil((display_width(cell.value) + 1) / max(w - 1, 1)))
            ws.row_dimensions[r].height = 15 * lines + 4
        ws.freeze_panes = freeze
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        landscape = self.landscape if self.landscape is not None else total > 110
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = max(1, math.ceil(total / 200))  # about 200 character widths per A4 page
        ws.page_setup.fitToHeight = 0
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.75
        if title_rows:
            ws.print_title_rows = title_rows
        if title_cols:
            ws.print_title_cols = title_cols
        if header:
            ws.oddHeader.center.text = header
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        protect(ws, self.password)


def protect(ws, password: str | None) -> None:
    """Sheet protection: only unlocked cells editable; column widths and row heights may still be changed."""
    p = ws.protection
    p.sheet = True
    p.formatColumns = False
    p.formatRows = False
    if password:
        p.password = password


def _fmt(col: ColumnSpec) -> str:
    if col.kind in (Kind.COUNT, Kind.FLAG, Kind.YEAR):
        return "0"
    if col.kind == Kind.DATE:
        return "yyyy-mm-dd"
    if col.kind == Kind.TEXT:
        return "@"
    return "0.00##" if col.percent else "#,##0.00##"


def _value(v):
    """A number from the targets table for a cell (NaN → None; whole floats as ints)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    f = float(v)
    return int(f) if f.is_integer() else f


def _codes(codes: list[str]) -> str:
    """A3、A9 or B5–B18: runs of three or more consecutive codes as a range."""
    parts = [re.fullmatch(r"(\D*)(\d+)", x) for x in codes]
    out, i = [], 0
    while i < len(codes):
        j = i
        while (j + 1 < len(codes) and parts[j] and parts[j + 1] and parts[j + 1][1] == parts[j][1]
               and int(parts[j + 1][2]) == int(parts[j][2]) + 1):
            j += 1
        out.append(f"{codes[i]}–{codes[j]}" if j - i >= 2 else "、".join(codes[i:j + 1]))
        i = j + 1
    return "、".join(out)


# --------------------------------------------------------------------------- targets (--targets)
def read_targets(path: str | Path, year: int, c: Criteria):
    """The targets table from a folder with targets.csv, a targets.csv, or an .xlsx with a `targets` sheet,
    checked like any input (InputError listing every problem); the checked frame (NaN = not applicable)."""
    from jxscore.core.inputs import validate_tables
    from jxscore.io.readers import read_csv_table, read_tables, read_workbook

    p = Path(path)
    spec = {"targets": table_specs(c)["targets"]}
    problems: list[Problem] = []
    if p.is_file() and p.suffix.lower() == ".csv":
        t = read_csv_table("targets", p, problems)
        tables = {"targets": t} if t is not None else {}
    elif p.is_file() and p.suffix.lower() in (".xlsx", ".xlsm"):
        tables = read_workbook(p, spec, problems)
    else:
        tables = read_tables(p, spec, problems)
    if "targets" not in tables:
        raise InputError(problems or [Problem.make(Code.DATA_PATH, file=str(p), value=str(p))])
    return validate_tables(tables, year, c, source=p, problems=problems).targets


# --------------------------------------------------------------------------- city workbook
def _instructions(wb, c: Criteria, year: int, e: Entity, password: str | None, first: bool = True) -> None:
    specs = table_specs(c)
    base = c.scheme.base_year
    sh = Sheet(wb, W.INSTRUCTIONS, 0, landscape=False, password=password, first=first)
    ws = sh.ws
    sh.width(1, 20)
    sh.width(2, 86)
    from openpyxl.styles import Alignment, Font

    rows: list[tuple[str, str, str]] = []  # (style, A, B)

    def line(a: str, b: str = "", style: str = "text") -> None:
        rows.append((style, a, b))

    inds = W.city_indicators(c)
    line(f"{c.scheme.name}", style="title")
    line(f"{year}年度 {e.name}市 数据填报表", style="subtitle")
    line("考核方案", c.scheme.name)
    line("考核年度", f"{year}年（基期{base}年，规划期{base + 1}–{base + c.scheme.plan_years}年）")
    line("填报单位", f"{e.name}市人民政府（行政区划代码{e.code}）")
    line("联系人", "考核办公室（填写本单位联系人及电话）")
    line("本单位联系人及电话", "", style="input")
    line("一、填报内容", style="section")
    energy = specs["energy"]
    heads = dict(W.energy_headers(c))
    prev = year - 1
    line("能源", f"{base}–{year}年每年一行，年份已填好。{base}年（基期）、{prev}年和{year}年必填，其他年份可不填"
                 f"（用于趋势图）。")
    for col in energy.columns[2:]:
        need = range_text(col.bounds)
        if col.above:
            other = heads[col.above].split("（")[0]
            need = (f"为{need}的数字，且" if need else "") + f"大于{other}"
        elif need:
            need = f"为{need}的数字"
        line("", f"{heads[col.name]}" + (f"：应{need}。" if need else "。"))
    line("指标", "每个指标一行，只填“完成值”列（考核年度的数值）；“说明”列可写数据来源或需要说明的情况。"
                 "代码、指标、单位、目标已填好，不能修改；目标为“不适用”的指标不考核该市，完成值已锁定，不填。")
    groups = {
        "cumulative": f"累计降低率：相对{base}年累计降低的百分数，不大于100；比{base}年上升的填负数。",
        "amount": "数量：不小于0，单位见“单位”列。",
        "share": "比重、比例、比率：百分数，在0与100之间。",
        "count": "个数：不小于0的整数。",
    }
    for kind, words in groups.items():
        codes = [i.code for i in inds if i.value == kind]
        if codes:
            line("", f"{_codes(codes)}　{words}")
    pols = c.verification.pollutants
    if "projects" in specs and pols:
        line("", f"{_codes(list(pols.values()))}为重点工程累计减排量（吨），应与“项目”表所列项目的减排量合计一致，"
                 "超出核定合计的按核定量计分。")
        line("项目", f"重点减排工程项目清单：每个项目每种污染物一行，共{W.PROJECT_ROWS}行可填；"
                     "不够时请与考核办公室联系。")
        line("", "项目编号：本市自编，不重复；项目名称：企业及工程名称；统一社会信用代码：18位（GB 32100-2015）；"
                 "治理设施编号：如TA001，可不填。")
        line("", "污染物：从下拉列表选择，" + "、".join(f"{k}计入{v}" for k, v in pols.items()) + "；"
                 "减排量：吨，大于0。")
        line("", f"计入年度：计入哪一年的减排量，{base + 1}–{year}年的整数；完成日期：工程完成的日期，"
                 f"写为{year}-06-30的格式，在{base}-01-01与{year}-12-31之间，不能晚于计入年度。")
        line("", "佐证材料：验收文件文号或附件名称；没有佐证材料、统一社会信用代码有误、完成晚于计入年度或重复计算的"
                 "项目不予认定。")
    line("二、填写规则", style="section")
    line("", "只在浅黄色单元格中填写；灰色单元格已填好并锁定。每个填写单元格都有数据验证，选中时显示要求，"
             "输入不符时会拒绝并说明原因。")
    line("", "数字按纯数字填写（如1234.5），不带单位，不写“约”“吨”等文字，不用空格分隔；百分比填百分数"
             "（14.5表示14.5%）。")
    line("", "没有数值可报的填NA或不适用（或留空）；适用的指标必须填报，缺报的会被列为问题。")
    line("", "不能使用公式：含公式的单元格会被拒绝；请粘贴为“数值”。")
    line("", "不要增加、删除或改名工作表，不要改动表头、行列顺序和已填内容。"
             + ("工作表已设密码保护。" if password else "工作表保护没有密码，只为防止误改。"))
    line("三、检查方式", style="section")
    line("", f"填好后可自查：jxscore validate --year {year} --data {W.city_file(e.slug)}；"
             "程序列出每个问题所在的工作表、单元格和原因，没有问题时显示“通过”。")
    line("", f"请按原文件名（{W.city_file(e.slug)}）报送考核办公室；考核办公室汇总各市工作簿后统一校验、计分。")

    r = 0
    for style, a, b in rows:
        r += 1
        if style in ("title", "subtitle", "section"):
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
            cell = ws.cell(row=r, column=1, value=a)
            cell.data_type = "s"
            size = {"title": 14, "subtitle": 12, "section": 11}[style]
            cell.font = Font(name=FONT, bold=True, size=size)
            cell.alignment = Alignment(horizontal="center" if style != "section" else "left", vertical="center",
                                       wrap_text=True)
            ws.row_dimensions[r].height = {"title": 24, "subtitle": 20, "section": 20}[style]
            continue
        if style == "input":
            sh.put(r, 1, a, kind="label")
            sh.put(r, 2, None, kind="input", fmt="@")
            sh.validate(text_rule(a, longest=100, prompt="填写本单位填报联系人姓名及电话。"), f"B{r}")
            ws.row_dimensions[r].height = 20
            continue
        ca = ws.cell(row=r, column=1, value=a or None)
        cb = ws.cell(row=r, column=2, value=b)
        for cell in (ca, cb):
            if isinstance(cell.value, str):
                cell.data_type = "s"
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        ca.font = Font(name=FONT, size=11, bold=True)
        lines = max(1, math.ceil(display_width(b) / 90))
        ws.row_dimensions[r].height = 15 * lines + 3
    sh.finish(freeze=None, header=f"{e.name}市 {year}年度 &A")


def _energy_sheet(wb, c: Criteria, year: int, password: str | None, header: str) -> None:
    spec = table_specs(c)["energy"]
    heads = W.energy_headers(c)
    letters = W.energy_columns(c)
    sh = Sheet(wb, W.ENERGY, 1, password=password)
    required = {c.scheme.base_year, year - 1, year}
    for j, (field, head) in enumerate(heads, start=1):
        sh.put(W.HEADER_ROW, j, head, kind="header")
        sh.width(j, 10 if field == "year" else min(max(display_width(head) / 1.6 + 2, 14), 24))
    for r, y in enumerate(W.energy_years(c, year), start=W.FIRST_ROW):
        cell = sh.put(r, 1, y, fmt="0")
        if y in required:
            from openpyxl.styles import Font

            cell.font = Font(name=FONT, size=11, bold=True)
        for j, (field, _) in enumerate(heads[1:], start=2):
            sh.put(r, j, None, kind="input", fmt=_fmt(spec.column(field)))
    last = W.FIRST_ROW + len(W.energy_years(c, year)) - 1
    names = dict(heads)
    for field, head in heads[1:]:
        col = spec.column(field)
        L = letters[field]
        above = letters[col.above] if col.above else None
        rule = number_rule(col, f"{L}{W.FIRST_ROW}", head.split("（")[0],
                           above_ref=f"{above}{W.FIRST_ROW}" if above else None,
                           above_label=names[col.above].split("（")[0] if col.above else "", allow_na=True)
        sh.validate(rule, f"{L}{W.FIRST_ROW}:{L}{last}")
    sh.finish(freeze="B2", title_rows="1:1", header=header)


def _indicator_sheet(wb, c: Criteria, e: Entity, targets, password: str | None, header: str) -> None:
    spec = table_specs(c)["indicators"]
    sh = Sheet(wb, W.INDICATORS, 1, password=password)
    for j, h in enumerate(W.INDICATOR_HEADERS, start=1):
        sh.put(W.HEADER_ROW, j, h, kind="header")
    for j, w in enumerate((8, 10, 12, 12, 14, 36), start=1):
        sh.width(j, w)
    V = W.INDICATOR_VALUE_COLUMN
    for r, ind in enumerate(W.city_indicators(c), start=W.FIRST_ROW):
        col = spec.column(ind.code)
        sh.width(2, display_width(ind.name) + 2)
        sh.width(3, display_width(ind.unit) + 4)
        target = None
        applies = True
        if ind.target and targets is not None:
            target = _value(targets.loc[e.name, ind.code])
            if target is None:
                target, applies = W.NOT_APPLICABLE, False
        for j, v in enumerate((ind.code, ind.name, ind.unit), start=1):
            sh.put(r, j, v, center=j != 2)
        sh.put(r, 4, target, fmt=_fmt(col), center=not applies)
        if applies:
            sh.put(r, 5, None, kind="input", fmt=_fmt(col))
            sh.validate(number_rule(col, f"{V}{r}", f"{ind.code} {ind.name}"), f"{V}{r}")
        else:
            sh.put(r, 5, None, fmt=_fmt(col))
        sh.put(r, 6, None, kind="input", fmt="@")
    last = W.FIRST_ROW + len(W.city_indicators(c)) - 1
    N = W.INDICATOR_NOTE_COLUMN
    sh.validate(text_rule("说明", prompt="可写数据来源或需要说明的情况，不超过255字。"), f"{N}{W.FIRST_ROW}:{N}{last}")
    sh.finish(freeze="C2", title_rows="1:1", header=header)


def _projects_sheet(wb, c: Criteria, year: int, password: str | None, header: str) -> None:
    spec = table_specs(c)["projects"]
    base = c.scheme.base_year
    sh = Sheet(wb, W.PROJECTS, 1, password=password)
    letters = W.PROJECT_COLUMN_LETTERS
    widths = {"project_id": 12, "name": 30, "uscc": 22, "facility": 14, "pollutant": 10, "reduction": 14,
              "count_year": 10, "completion_date": 13, "evidence": 30}
    first, last = W.FIRST_ROW, W.FIRST_ROW + W.PROJECT_ROWS - 1
    pols = list(spec.column("pollutant").choices) or list(W.POLLUTANTS)
    mapping = c.verification.pollutants
    for j, (field, head) in enumerate(W.PROJECT_COLUMNS, start=1):
        col = spec.column(field)
        sh.put(W.HEADER_ROW, j, head, kind="header")
        sh.width(j, max(widths.get(field, 12), display_width(head) + 2))
        for r in range(first, last + 1):
            sh.put(r, j, None, kind="input", fmt=_fmt(col))
        L = letters[field]
        rng = f"{L}{first}:{L}{last}"
        if field == "uscc":
            rule = text_rule(head, length=18, prompt="18位统一社会信用代码（数字和大写字母）。")
        elif field == "pollutant":
            rule = list_rule(head, pols, prompt="从下拉列表中选择：" + "、".join(
                f"{p}（计入{mapping[p]}）" if p in mapping else p for p in pols) + "。")
        elif field == "reduction":
            rule = Rule("decimal", "0", operator="greaterThan", prompt_title=head,
                        prompt="单位：吨。应为大于0的数字。", error=f"{head}：应为大于0的数字（吨），不带单位和文字。")
        elif field == "count_year":
            rule = Rule("whole", str(base + 1), str(year), operator="between", prompt_title=head,
                        prompt=f"计入哪一年的减排量：{base + 1}–{year}年的整数。",
                        error=f"{head}：应为{base + 1}–{year}之间的整数年份。")
        elif field == "completion_date":
            rule = Rule("date", str(_excel_serial(dt.date(base, 1, 1))), str(_excel_serial(dt.date(year, 12, 31))),
                        operator="between", prompt_title=head,
                        prompt=f"工程完成的日期，如{year}-06-30；在{base}-01-01与{year}-12-31之间。",
                        error=f"{head}：应为{base}-01-01与{year}-12-31之间的日期，写为{year}-06-30的格式。")
        elif field == "project_id":
            rule = text_rule(head, longest=50, prompt="本市自编的项目编号，不重复，不超过50字。")
        elif field == "facility":
            rule = text_rule(head, longest=50, prompt="治理设施编号，如TA001；没有可不填。")
        elif field == "evidence":
            rule = text_rule(head, prompt="验收文件文号或附件名称；没有佐证材料的项目不予认定。")
        else:
            rule = text_rule(head)
        sh.validate(rule, rng)
    sh.finish(freeze="B2", title_rows="1:1", header=header)


def _meta_sheet(wb, meta: W.Meta, password: str | None) -> None:
    ws = wb.create_sheet(W.META)
    for r, (k, v) in enumerate(meta.rows(), start=1):
        ws.cell(row=r, column=1, value=k).data_type = "s"
        cell = ws.cell(row=r, column=2, value=v if v != "" else None)
        if isinstance(v, str) and v:
            cell.data_type = "s"
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 70
    ws.sheet_state = "hidden"
    protect(ws, password)


def _lock_structure(wb, password: str | None) -> None:
    from openpyxl.workbook.protection import WorkbookProtection

    wb.security = WorkbookProtection(lockStructure=True)
    if password:
        wb.security.set_workbook_password(password)


def city_workbook(c: Criteria, year: int, e: Entity, *, targets=None, password: str | None = None,
                  criteria_sha256: str = "", tool_version: str = ""):
    from openpyxl import Workbook

    wb = Workbook()
    header = f"{e.name}市 {year}年度 &A"
    _instructions(wb, c, year, e, password)
    _energy_sheet(wb, c, year, password, header)
    _indicator_sheet(wb, c, e, targets, password, header)
    if "projects" in table_specs(c):
        _projects_sheet(wb, c, year, password, header)
    _meta_sheet(wb, W.Meta("city", c.scheme.name, year, e.name, e.code, e.slug, criteria_sha256, tool_version),
                password)
    _lock_structure(wb, password)
    return wb


# --------------------------------------------------------------------------- office workbook
def _coded_sheet(wb, title: str, fields: list[str], labels: list[str], rows: list[list], cols: dict[str, ColumnSpec],
                 keys: int, password: str | None, header: str, first: bool = False) -> Sheet:
    """Row 1 field codes, row 2 labels, rows 3…: `keys` pre-filled locked columns, then input cells."""
    sh = Sheet(wb, title, 2, password=password, first=first)
    letters = W.columns(fields)
    for j, (f, lab) in enumerate(zip(fields, labels), start=1):
        sh.put(W.HEADER_ROW, j, f, kind="header")
        sh.put(W.OFFICE_LABEL_ROW, j, lab, kind="label")
        sh.width(j, 10 if j <= keys else min(max(display_width(f) + 4, 12), 16))
    for r, values in enumerate(rows, start=W.OFFICE_FIRST_ROW):
        for j, f in enumerate(fields, start=1):
            v = values[j - 1] if j - 1 < len(values) else None
            if j <= keys:
                sh.put(r, j, v, fmt="0" if f == "year" else None)
            else:
                sh.put(r, j, v, kind="input", fmt=_fmt(cols[f]))
    last = W.OFFICE_FIRST_ROW + len(rows) - 1
    for j, f in enumerate(fields, start=1):
        if j <= keys:
            continue
        col = cols[f]
        L = letters[f]
        ref = f"{L}{W.OFFICE_FIRST_ROW}"
        above = f"{letters[col.above]}{W.OFFICE_FIRST_ROW}" if col.above and col.above in letters else None
        rule = number_rule(col, ref, f"{f} {col.label}"[:32], above_ref=above,
                           above_label=cols[col.above].label if above else "")
        sh.validate(rule, f"{ref}:{L}{last}")
    sh.finish(freeze=f"{W.column_letter(keys + 1)}{W.OFFICE_FIRST_ROW}",
              title_rows=f"{W.HEADER_ROW}:{W.OFFICE_LABEL_ROW}", title_cols=f"A:{W.column_letter(keys)}",
              header=header)
    return sh


def office_workbook(c: Criteria, year: int, *, targets=None, password: str | None = None, criteria_sha256: str = "",
                    tool_version: str = ""):
    from openpyxl import Workbook

    specs = table_specs(c)
    wb = Workbook()
    header = f"考核办公室 {year}年度 &A"
    # 目标: every city's parameters and targets
    tspec = specs["targets"]
    fields = W.office_target_fields(c)
    cols = {col.name: col for col in tspec.columns}
    labels = ["设区市"] + [cols[f].what() for f in fields[1:]]
    rows = []
    for e in c.entities:
        row = [e.name]
        for f in fields[1:]:
            v = _value(targets.loc[e.name, f]) if targets is not None else None
            if v is None and targets is not None and cols[f].need == "na":
                v = "NA"  # given as empty or NA: the indicator does not apply to the city
            row.append(v)
        rows.append(row)
    _coded_sheet(wb, W.OFFICE_TARGETS, fields, labels, rows, cols, 1, password, header, first=True)
    # 核查: reviewers' points (when no panel is used) and the office's own fields
    ispec = specs["indicators"]
    fields = ["city"] + W.office_review_fields(c)
    cols = {col.name: col for col in ispec.columns}
    labels = ["设区市"]
    for f in fields[1:]:
        col = cols[f]
        if col.bounds.le is not None and col.unit == "分":
            labels.append(f"{col.label}（0–{_num(col.bounds.le)}分）")
        elif col.kind == Kind.FLAG:
            labels.append(f"{col.label}（是填1，否填0）")
        elif col.kind == Kind.COUNT:
            labels.append(f"{col.label}（个）")
        else:
            labels.append(col.what())
    _coded_sheet(wb, W.OFFICE_REVIEW, fields, labels, [[e.name] for e in c.entities], cols, 1, password, header)
    # 统计: the statistics bureau's figures per city and year
    espec = specs["energy"]
    fields = W.office_stats_fields(c)
    cols = {col.name: col for col in espec.columns}
    heads = dict(W.energy_headers(c))
    labels = ["设区市", "年份"] + [heads[f] for f in fields[2:]]
    rows = [[e.name, y] for e in c.entities for y in W.energy_years(c, year)]
    _coded_sheet(wb, W.OFFICE_STATS, fields, labels, rows, cols, 2, password, header)
    # 专家评分: one row per expert, city and item
    if "reviews" in specs:
        _experts_sheet(wb, c, specs["reviews"], password, header)
    _meta_sheet(wb, W.Meta("office", c.scheme.name, year, criteria_sha256=criteria_sha256,
                           tool_version=tool_version), password)
    _lock_structure(wb, password)
    return wb


def _experts_sheet(wb, c: Criteria, spec, password: str | None, header: str) -> None:
    sh = Sheet(wb, W.OFFICE_EXPERTS, 1, landscape=False, password=password)
    letters = W.REVIEW_COLUMN_LETTERS
    first, last = W.FIRST_ROW, W.FIRST_ROW + W.REVIEW_ROWS - 1
    items = list(spec.column("item").choices)
    points = "、".join(f"{i}满分{_num(c.indicator(i).points)}分" for i in items)
    for j, (field, head) in enumerate(W.REVIEW_COLUMNS, start=1):
        col = spec.column(field)
        sh.put(W.HEADER_ROW, j, head, kind="header")
        sh.width(j, {"city": 12, "item": 10, "expert": 16, "points": 12}[field])
        for r in range(first, last + 1):
            sh.put(r, j, None, kind="input", fmt="@" if field != "points" else "0.00##")
        L = letters[field]
        if field == "city":
            rule = list_rule(head, c.entity_names)
        elif field == "item":
            rule = list_rule(head, items, prompt=f"从下拉列表中选择：{points}。")
        elif field == "expert":
            rule = text_rule(head, longest=50, prompt="专家姓名或编号；同一设区市同一项目每位专家一行。")
        else:
            rule = Rule("decimal", _num(col.bounds.ge if col.bounds.ge is not None else 0),
                        operator="greaterThanOrEqual", prompt_title=head,
                        prompt=f"应为不小于0的数字，且不超过该项目满分（{points}）。",
                        error=f"{head}：应为不小于0的数字，不带单位和文字。")
        sh.validate(rule, f"{L}{first}:{L}{last}")
    sh.finish(freeze="A2", title_rows="1:1", header=header)


# --------------------------------------------------------------------------- writing
def save_reproducible(wb, path: Path) -> None:
    """Save with fixed document times and zip entry times: the same workbook gives the same bytes."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.creator = "jxscore"
    wb.properties.lastModifiedBy = "jxscore"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()  # not wb.save(): that stamps `modified` with the current time
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))


def check_template_out(out: str | Path) -> Path:
    """The workbooks go into a folder: `out` named like a workbook, or an existing file, is refused."""
    out = Path(out)
    if out.suffix.lower() == ".xlsx" or (out.exists() and not out.is_dir()):
        raise UsageError(Problem.make(Code.OUT_PATH, value=out, expected="@expected.folder"))
    return out


def build_template(c: Criteria, year: int, *, criteria_path: str | Path | None = None,
                   targets: str | Path | None = None, password: str | None = None) -> list[tuple[str, Any]]:
    """(file name, workbook) for every city and office.xlsx, nothing written: every problem of the year
    or the targets to pre-fill is raised here."""
    from jxscore import __version__
    from jxscore.io.writers import sha256
    from jxscore.resources import default_criteria_path

    check_year(year, c)
    frame = read_targets(targets, year, c) if targets is not None else None
    sha = sha256(Path(criteria_path) if criteria_path is not None else default_criteria_path())
    books = [(W.city_file(e.slug), city_workbook(c, year, e, targets=frame, password=password, criteria_sha256=sha,
                                                 tool_version=__version__)) for e in c.entities]
    books.append((W.OFFICE_FILE, office_workbook(c, year, targets=frame, password=password, criteria_sha256=sha,
                                                 tool_version=__version__)))
    return books


def save_books(books: list[tuple[str, Any]], stage: Path) -> list[str]:
    for name, wb in books:
        save_reproducible(wb, stage / name)
    return [name for name, _ in books]


def write_template(c: Criteria, year: int, out: str | Path, *, criteria_path: str | Path | None = None,
                   targets: str | Path | None = None, password: str | None = None) -> list[str]:
    """Write `<slug>.xlsx` for every city and office.xlsx into the folder `out` (atomically); their names."""
    out = check_template_out(out)
    books = build_template(c, year, criteria_path=criteria_path, targets=targets, password=password)
    with staged_output(out) as stage:
        return save_books(books, stage)
