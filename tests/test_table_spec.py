"""A new table is a spec, not a loader: the generic checks of a made-up key-project table."""

from jxscore.core.criteria import Bounds
from jxscore.core.inputs import Checker
from jxscore.core.tables import ColumnSpec, Kind, RawTable, TableSpec

PROJECTS = TableSpec(
    "projects", "项目", "key projects (test)",
    (ColumnSpec("project_id", "项目编号", kind=Kind.TEXT),
     ColumnSpec("city", "设区市", kind=Kind.CITY),
     ColumnSpec("reduction", "减排量", "吨", bounds=Bounds(gt=0)),
     ColumnSpec("completion_date", "完成日期", kind=Kind.DATE),
     ColumnSpec("evidence", "佐证材料", kind=Kind.TEXT, need="optional", header_required=False)),
    key=("project_id",), required=False, every_city=False)


def test_generic_checks_of_a_new_table(criteria):
    t = RawTable("projects", "projects.csv", "", ["project_id", "city", "reduction", "completion_date"], [
        ["P36-0001", "南昌市", "1,250.5", "2023-06-30"],   # fine: full city name, thousands separator
        ["P36-0002", "萍乡", "０", "2023-13-01"],           # reduction not > 0, month 13
        ["P36-0001", "九江", "10", "2024-01-05"],           # the key again
        ["", "南京", "x", ""],                              # empty id and date, unknown city, not a number
    ], [2, 3, 4, 5])
    ck = Checker(criteria)
    ch = ck.check(t, PROJECTS)
    got = sorted((p.row, p.column, p.code.value) for p in ck.problems)
    assert got == sorted([
        (3, "reduction", "out-of-range"), (3, "completion_date", "bad-date"),
        (4, "project_id", "duplicate-key"),
        (5, "project_id", "missing-value"), (5, "city", "unknown-city"), (5, "reduction", "not-a-number"),
        (5, "completion_date", "missing-value"),
    ])
    assert ch.city[0] == "南昌" and ch.values["reduction"][0] == 1250.5
    assert ch.texts["completion_date"][0] == "2023-06-30" and ch.texts["project_id"][2] == "P36-0001"
    assert list(ch.usable) == [True, True, False, False]
