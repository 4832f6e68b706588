"""A blank reporting workbook whose sheets and columns are exactly what `load_inputs` expects."""

from __future__ import annotations

from pathlib import Path

from jxscore.io.atomic import staged_output
from jxscore.core.criteria import Criteria
from jxscore.core.errors import UsageError
from jxscore.core.inputs import ENERGY_COLUMNS


def template_columns(c: Criteria) -> dict[str, list[str]]:
    return {
        "energy": ["city", "year", *ENERGY_COLUMNS],
        "indicators": ["city", *[i.code for i in c.indicators if i.value != "computed"], *[f.name for f in c.fields]],
        "targets": ["city", *[p.name for p in c.parameters], *[i.code for i in c.indicators if i.target]],
    }


def write_template(c: Criteria, year: int, out: str | Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    if year not in c.valid_years():
        raise UsageError(f"--year {year}: the scheme covers {c.valid_years().start}–{c.valid_years().stop - 1}")
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {out}: expected a file name ending in .xlsx")
    cols = template_columns(c)
    labels = {i.code: f"{i.name}（{i.unit}）" for i in c.indicators}
    labels |= {p.name: f"{p.label}（{p.unit}）" if p.unit else p.label for p in c.parameters}
    labels |= {f.name: f.label for f in c.fields}
    wb = Workbook()
    for n, (sheet, header) in enumerate(cols.items()):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = sheet
        ws.append(header)
        for j, cell in enumerate(ws[1]):
            cell.font = Font(bold=True)
            if header[j] in labels:
                cell.comment = Comment(labels[header[j]], "jxscore")
        if sheet == "energy":
            for e in c.entities:
                for y in range(c.scheme.base_year, year + 1):
                    ws.append([e.name, y])
        else:
            for e in c.entities:
                ws.append([e.name])
        ws.freeze_panes = "B2"
    with staged_output(out.parent) as stage:
        wb.save(stage / out.name)
