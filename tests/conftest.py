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


# -- portal test infrastructure: a throwaway PostgreSQL, Debian's headless Chromium, a live server --


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster (initdb in /tmp, 127.0.0.1, trust), stopped and removed at the end.

    Fails, never skips, when PostgreSQL is missing: the set-up installs it, and a skip would hide tests."""
    from pgcluster import PgCluster, PgUnavailable

    try:
        cluster = PgCluster().start()
    except PgUnavailable as e:
        pytest.fail(f"PostgreSQL test cluster: {e}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg_cluster):
    """SQLAlchemy URL (postgresql+psycopg://…) of an empty database in the session's cluster."""
    return pg_cluster.url()


@pytest.fixture(scope="module")
def chromium():
    """One Playwright Browser on Debian's chromium-headless-shell per test module (fails if missing).

    Per module, not per session: while Playwright's sync API runs, its event loop is the main thread's
    running loop, and `asyncio.run` elsewhere (pyHanko's signing) would fail in the modules that follow."""
    from browser import BrowserUnavailable, launch_browser

    try:
        cm = launch_browser()
        b = cm.__enter__()
    except BrowserUnavailable as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield b
    finally:
        cm.__exit__(None, None, None)


@pytest.fixture
def browser_page(chromium):
    """A page in a fresh context (own cookies), viewport browser.VIEWPORT, locale zh-CN."""
    from browser import new_page

    page = new_page(chromium)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def live_server():
    """`base_url = live_server(app)`: serves the ASGI app on 127.0.0.1 until the test ends."""
    from contextlib import ExitStack

    from browser import live_server as serve

    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serve(app))
