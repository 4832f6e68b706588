import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from builders import Dataset  # noqa: E402
from jxscore.core.criteria import load_criteria  # noqa: E402
from jxscore.service import RunOptions, run_score  # noqa: E402


@pytest.fixture(scope="session")
def criteria():
    return load_criteria()


@pytest.fixture
def score_ds(tmp_path):
    """Score a Dataset; returns the Result."""

    def run(ds: Dataset, **kw):
        folder = ds.write(tmp_path / f"data{len(list(tmp_path.iterdir()))}")
        result, _ = run_score(RunOptions(ds.year, folder, **kw))
        return result

    return run


def _as_written(s):
    """A row as the CSV files write it: codes and flags joined by ';', flags by their Chinese labels."""
    from jxscore.io.writers import cell_text

    return s.map(cell_text)


def row(result, city):
    return _as_written(result.scores.set_index("city").loc[city])


def ledger(result, city, code):
    led = result.ledger
    return _as_written(led[(led.city == city) & (led.indicator == code)].iloc[0])
