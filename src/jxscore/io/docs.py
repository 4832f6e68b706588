"""docs/formats.md written from the table specs, so the documentation cannot drift from the validator."""

from __future__ import annotations

from jxscore.core.criteria import Bounds, Criteria
from jxscore.core.tables import Kind, TableSpec, table_specs

_NEED = {"always": "必填", "applicable": "适用时必填（已下达目标）", "optional": "可空（取默认值）",
         "na": "可空：空或NA表示不适用"}
_KIND = {Kind.CITY: "设区市简称（也接受全称如“南昌市”或行政区划代码）", Kind.YEAR: "年份", Kind.NUMBER: "数值",
         Kind.COUNT: "非负整数", Kind.FLAG: "0或1", Kind.TEXT: "文本", Kind.DATE: "日期（YYYY-MM-DD）"}


def _range(b: Bounds) -> str:
    parts = []
    if b.gt is not None:
        parts.append(f"> {b.gt:g}")
    if b.ge is not None:
        parts.append(f"≥ {b.ge:g}")
    if b.lt is not None:
        parts.append(f"< {b.lt:g}")
    if b.le is not None:
        parts.append(f"≤ {b.le:g}")
    return "，".join(parts)


def _table(spec: TableSpec) -> list[str]:
    out = [f"## `{spec.name}` — {spec.label}", "", spec.description, "",
           f"键：{' + '.join(f'`{k}`' for k in spec.key)}（每个键只能出现一次）。", "",
           "| 列 | 含义 | 单位 | 类型 | 取值范围 | 填写 |", "|---|---|---|---|---|---|"]
    for c in spec.columns:
        rng = _range(c.bounds) or ("、".join(c.choices) if c.choices else "")
        if c.above:
            rng = (rng + "，" if rng else "") + f"> `{c.above}`"
        need = _NEED[c.need] if c.kind not in (Kind.CITY, Kind.YEAR) else "必填"
        if c.need == "optional" and c.default is None:
            need = "可空"
        if c.default is not None:
            need += f"，默认{c.default:g}"
        if not c.header_required:
            need += "；列可省略"
        out.append(f"| `{c.name}` | {c.label} | {c.unit} | {_KIND[c.kind]} | {rng} | {need} |")
    return out + [""]


def formats_markdown(c: Criteria) -> str:
    lines = [f"# 输入文件格式 — {c.scheme.name}", "",
             "本文件由 `jxscore.io.docs` 根据评分标准文件生成（`make docs`），与校验程序使用同一份表格说明。", "",
             "每张表是一个 CSV 文件（UTF-8 或 GB18030）或同一 `.xlsx` 工作簿中同名的工作表；第1行为列名。",
             "数值的读法：全角数字和符号、各种空格、Unicode 减号、千位分隔符（每三位一个逗号）、单位为 % 的列中的",
             "“22.5%”和 Excel 百分比格式单元格按填写者的意思读入；公式、错误值、日期、单位为 % 以外的列中的百分号、",
             "含义不明的逗号、带单位或文字的数值、上标下标（如脚注标记 3050²）、带圈或括号的数字（①、⑴）、分数（½）",
             "以及其他文字的数字一律报错并指明单元格（详见 `jxscore.core.numbers`）。", ""]
    for spec in table_specs(c).values():
        lines += _table(spec)
    return "\n".join(lines).rstrip() + "\n"
