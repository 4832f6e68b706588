"""Where the project's own files (criteria, templates) are, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_ROOT = _PKG.parent.parent  # src/jxscore -> project root in a checkout


def _find(name: str) -> Path:
    for base in (_PKG, _ROOT):
        cand = base / name
        if cand.is_dir():
            return cand
    raise FileNotFoundError(f"jxscore resource folder {name!r} not found next to {_PKG}")


def criteria_dir() -> Path:
    return _find("criteria")


def templates_dir() -> Path:
    return _find("templates")


def default_criteria_path() -> Path:
    return criteria_dir() / "jiangxi.toml"
