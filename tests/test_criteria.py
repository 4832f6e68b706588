"""The criteria file encodes the rulebook; bad criteria are reported with the path of the bad value."""

from pathlib import Path

import pytest

from jxscore.core.criteria import load_criteria
from jxscore.core.problems import Code, CriteriaError
from jxscore.i18n import expected, message, text

ROOT = Path(__file__).resolve().parents[1]
SRC = (ROOT / "src" / "jxscore" / "schemes" / "jiangxi.toml").read_text(encoding="utf-8")


def test_bundled_scheme_matches_rulebook(criteria):
    pts = {i.code: i.points for i in criteria.indicators}
    assert sum(v for k, v in pts.items() if k.startswith("A")) == 50
    assert sum(v for k, v in pts.items() if k.startswith("B")) == 30
    assert sum(v for k, v in pts.items() if k.startswith("C")) == 20
    assert (pts["A1"], pts["A2"], pts["B14"], pts["C2"]) == (20, 5, 0.5, 5)
    assert [g.min for g in criteria.grades] == [95, 80, 60, 0]
    assert [e.code for e in criteria.entities][:3] == ["360100", "360200", "360300"]
    assert criteria.indicator("B5").rule == "lower_step" and criteria.indicator("A10").rule == "threshold"
    assert [v.code for v in criteria.vetoes] == ["V1", "V2"] and [c.code for c in criteria.caps] == ["G1", "G2"]


def _load(tmp_path, text):
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return load_criteria(p)


@pytest.mark.parametrize("old,new,path", [
    ('rule = "threshold"', 'rule = "thresold"', "indicators[9].rule"),
    ('step = 0.5 ', 'step = "half" ', "indicators[14]"),
    ('grade = "基本完成"\nwhen', 'grade = "基本"\nwhen', "caps[0].grade"),
    ('code = "360100"', 'code = "3601"', "entities[0].code"),
    ('points = 50', 'points = 55', "categories[0].points"),
])
def test_bad_values_are_located(tmp_path, old, new, path):
    assert old in SRC
    with pytest.raises(CriteriaError) as e:
        _load(tmp_path, SRC.replace(old, new, 1))
    assert any(p.path.startswith(path) for p in e.value.problems), e.value.problems


def test_cross_field_problems_are_each_located(tmp_path):
    text = SRC.replace('points = 50', 'points = 55', 1).replace('grade = "基本完成"\nwhen', 'grade = "基本"\nwhen', 1)
    text = text.replace('exempt_when = "A1.incentive"', 'exempt_when = "Z9.incentive"')
    with pytest.raises(CriteriaError) as e:
        _load(tmp_path, text)
    got = [(p.code, p.path, p.value) for p in e.value.problems]
    assert (Code.CRITERIA_INCONSISTENT, "categories[0].points", "55") in got
    assert (Code.CRITERIA_REFERENCE, "caps[0].grade", "基本") in got
    assert (Code.CRITERIA_REFERENCE, "indicators[1].params.exempt_when", "Z9.incentive") in got
    assert len(got) == 3


def test_not_toml(tmp_path):
    with pytest.raises(CriteriaError) as e:
        _load(tmp_path, "[scheme\nname=")
    assert [p.code for p in e.value.problems] == [Code.CRITERIA_SYNTAX]


def test_another_scheme_is_just_another_file(tmp_path, score_ds):
    """Other grade bands are a criteria edit: nothing of the Jiangxi scheme is in the engine."""
    from builders import Dataset

    text = SRC.replace('min = 95', 'min = 99.5')
    c = _load(tmp_path, text)
    assert c.grades[0].min == 99.5
    ds = Dataset()
    ds.set("indicators", "萍乡", "A3", 80.0)  # 99.2: 超额完成 under Jiangxi, 完成 here
    folder = ds.write(tmp_path / "d")
    from jxscore.service import RunOptions, run_score

    res, _ = run_score(RunOptions(2023, folder, criteria=tmp_path / "c.toml"))
    assert res.scores.set_index("city").loc["萍乡", "grade"] == "完成"


def test_rule_parameter_problems_are_worded_by_the_catalogue_not_by_pydantic(tmp_path):
    text_ = (SRC.replace("tiers = [[0.0, 1.0], [0.05, 0.6]", "tiers = [[0.0, 1.0], [0.05, 1.6]", 1)
             .replace("step = 0.5 ", 'step = "half" ', 1))
    with pytest.raises(CriteriaError) as e:
        _load(tmp_path, text_)
    got = {p.path: p for p in e.value.problems}
    step, tiers = got["indicators[14].params.step"], got["indicators[1].params"]
    assert message(step, "zh") == "规则lower_step的参数不符合要求：应为数值"
    assert message(step, "en") == "parameter of rule lower_step: must be a number"
    assert message(tiers, "zh") == "规则total_cap_tiers的参数不符合要求：tiers[1]的得分比例应在0到1之间"
    assert expected(tiers, "en") == "tiers[1]: the fraction must be between 0 and 1"
    with pytest.raises(CriteriaError) as e:
        _load(tmp_path, SRC.replace("points = 50", "points = -5", 1))
    (p,) = e.value.problems
    assert (p.path, p.value, message(p, "zh"), expected(p, "en")) == (
        "categories[0].points", "-5", "字段不符合要求：应大于0.0", "must be greater than 0.0")


def test_every_pydantic_reason_has_words_in_both_languages():
    from jxscore.core.criteria import PYDANTIC_REASONS

    for kind in sorted(PYDANTIC_REASONS) + ["other"]:
        zh, en = text(f"pyd.{kind}", "zh"), text(f"pyd.{kind}", "en")
        assert zh != f"pyd.{kind}" and en != f"pyd.{kind}" and not zh.isascii() and en.isascii(), kind
