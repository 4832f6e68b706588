"""The message catalogue: every problem code has words in Chinese and English, the compiled .mo files
match their .po sources, and the file-format docs match the table specs."""

import gettext
import re
from pathlib import Path

import pytest

from jxscore.core.problems import Code, Problem
from jxscore.i18n import message, text
from jxscore.resources import locale_dir

ROOT = Path(__file__).resolve().parents[1]


def _po(lang):
    from babel.messages.pofile import read_po

    with open(locale_dir() / lang / "LC_MESSAGES" / "jxscore.po", "rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_code_and_reference_has_a_message(lang):
    po = _po(lang)
    missing = [c.value for c in Code if not po.get(c.value)]
    assert missing == []
    src = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "jxscore").rglob("*.py"))
    refs = (set(re.findall(r'"@([a-z_]+\.[a-z_]+)"', src))
            | set(re.findall(r'text\("((?:ui|col|sev|flag)\.[a-z_]+)', src)))
    assert sorted(r for r in refs if not po.get(r)) == []


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_compiled_catalogue_matches_its_source(lang):
    mo = gettext.GNUTranslations(open(locale_dir() / lang / "LC_MESSAGES" / "jxscore.mo", "rb"))
    po = _po(lang)
    assert {k: mo.gettext(k) for k in po} == po, "run `make messages`"


def test_messages_in_both_languages():
    p = Problem.make(Code.OUT_OF_RANGE, file="indicators.csv", row=4, column="B6", city="萍乡", value="120",
                     label="公共交通新能源汽车占比（%）", bound="@bound.between", lo="0", hi="100")
    assert message(p) == "120超出范围：公共交通新能源汽车占比（%）应在0与100之间"
    assert message(p, "en") == "120 is out of range: 公共交通新能源汽车占比（%） must be between 0 and 100"
    assert text("ui.problems", "zh", n=3) == "输入数据有3个问题，未写出任何文件。"


def test_file_format_docs_are_generated_from_the_specs(criteria):
    from jxscore.io.docs import formats_markdown

    assert (ROOT / "docs" / "formats.md").read_text(encoding="utf-8") == formats_markdown(criteria), "run `make docs`"
