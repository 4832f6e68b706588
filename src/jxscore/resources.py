"""The project's own files (criteria schemes, templates, message catalogues) shipped as package data.

Read through importlib.resources so an installed wheel finds them as a source checkout does.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _dir(name: str) -> Path:
    return Path(str(files("jxscore") / name))


def criteria_dir() -> Path:
    return _dir("schemes")


def templates_dir() -> Path:
    return _dir("templates")


def default_criteria_path() -> Path:
    return criteria_dir() / "jiangxi.toml"


def locale_dir() -> Path:
    return _dir("locale")


def web_dir(name: str) -> Path:
    """The portal's page templates (`templates`) or static assets (`static`)."""
    return _dir(f"web/{name}")


def migrations_dir() -> Path:
    return _dir("portal/migrations")
