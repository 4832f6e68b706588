"""Every command the CLI offers is documented in the README, and the README opens with the set-up."""

from pathlib import Path

import typer.main

from jxscore.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme():
    names = sorted(typer.main.get_command(app).commands)
    assert names, "no commands registered"
    for name in names:
        assert f"`jxscore {name}" in README, name


def test_readme_opens_with_the_two_commands():
    block = README.split("```")[1]
    assert "make demo" in block and "make test" in block
