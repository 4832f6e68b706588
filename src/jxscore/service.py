"""The operations the commands offer, callable from Python without a terminal."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .atomic import staged_output
from .criteria import Criteria, load_criteria
from .engine import Result, score
from .inputs import Inputs, load_inputs
from .resources import default_criteria_path


@dataclass(frozen=True)
class RunOptions:
    """What every scoring command shares."""

    year: int
    data: Path
    criteria: Path | None = None
    allow_missing: bool = False

    @property
    def criteria_path(self) -> Path:
        return Path(self.criteria) if self.criteria else default_criteria_path()

    def params(self) -> dict:
        return {"year": self.year, "allow_missing": self.allow_missing, "criteria": self.criteria_path.name,
                "data": Path(self.data).name}


def prepare(opts: RunOptions) -> tuple[Criteria, Inputs]:
    crit = load_criteria(opts.criteria_path)
    return crit, load_inputs(opts.data, opts.year, crit, allow_missing=opts.allow_missing)


def validate(opts: RunOptions) -> Inputs:
    """Raise InputError with every problem, or return the clean inputs (with warnings)."""
    return prepare(opts)[1]


def run_score(opts: RunOptions, *, explain: bool = True) -> tuple[Result, Inputs]:
    crit, inputs = prepare(opts)
    return score(inputs, crit, explain=explain), inputs


def score_to(opts: RunOptions, out: Path) -> tuple[Result, dict]:
    """Score and write scores.csv, ledger.csv, manifest.json, results.xlsx into `out`, atomically."""
    from .outputs import write_score_outputs

    result, inputs = run_score(opts)
    with staged_output(out) as stage:
        man = write_score_outputs(result, stage, input_files=inputs.files, criteria_file=opts.criteria_path,
                                  params=opts.params())
    return result, man
