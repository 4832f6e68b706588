"""The folders are layers: nothing below imports what is above it (README's layout, the issue's rule).

core < io < analysis < report < service < portal < web < cli. Checked on the source with `ast`, every
import statement (lazy imports inside functions included); jxscore/__init__, __main__, resources and
i18n sit beside the layers and are not checked.
"""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "jxscore"
ORDER = ["core", "io", "analysis", "report", "service", "portal", "web", "cli"]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "jxscore" and len(parts) > 1 and parts[1] in ORDER else None


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"  # every import names its layer
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def upward_imports() -> list[tuple[str, str]]:
    bad = []
    for f in sorted(SRC.rglob("*.py")):
        module = ".".join(f.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")
        me = _layer(module)
        if me is None:
            continue
        bad += [(module, n) for n in sorted(_imports(f)) if _layer(n) and ORDER.index(_layer(n)) > ORDER.index(me)]
    return bad


def test_no_layer_imports_a_layer_above_it():
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "jxscore"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "x.py").write_text("def f():\n    from jxscore.report import render\n", encoding="utf-8")
    (fake / "io").mkdir()
    (fake / "io" / "y.py").write_text("from jxscore.core import x\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "SRC", fake)
    assert upward_imports() == [("jxscore.core.x", "jxscore.report"), ("jxscore.core.x", "jxscore.report.render")]
