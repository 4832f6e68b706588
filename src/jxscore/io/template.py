"""A blank reporting workbook written from the table specs — the same specs the validator checks."""

from __future__ import annotations

from pathlib import Path

from jxscore.core.criteria import Criteria
from jxscore.core.inputs import check_year
from jxscore.core.problems import Code, Problem, UsageError
from jxscore.core.tables import CORE_TABLES, table_specs
from jxscore.io.atomic import staged_output


def template_columns(c: Criteria) -> dict[str, list[str]]:
    return {name: spec.names for name, spec in table_specs(c).items()}


def write_template(c: Criteria, year: int, out: str | Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    check_year(year, c)
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(Problem.make(Code.OUT_PATH, value=out, expected="@expected.xlsx_name"))
    wb = Workbook()
    for n, (name, spec) in enumerate((k, v) for k, v in table_specs(c).items() if k in CORE_TABLES):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = name
        ws.append(spec.names)
        for col, cell in zip(spec.columns, ws[1]):
            cell.font = Font(bold=True)
            cell.comment = Comment(col.what(), "jxscore")
        if spec.key == ("city", "year"):
            for e in c.entities:
                for y in range(c.scheme.base_year, year + 1):
                    ws.append([e.name, y])
        else:
            for e in c.entities:
                ws.append([e.name])
        ws.freeze_panes = "B2"
    with staged_output(out.parent) as stage:
        wb.save(stage / out.name)
