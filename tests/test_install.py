"""jxscore as a user gets it: a wheel, installed into a clean virtual environment, run from elsewhere.

The wheel is built from a copy of the project's files (so the repository gets no build/ or egg-info and
no stale build output can slip in), installed with its pinned dependencies into a new venv (no system
site-packages, nothing pointing back at this checkout), and `jxscore report` runs there on a copy of the
sample data with the working directory outside the repository. About 30 s on the 2-core machine, most of
it the dependency install and the 12 PDFs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ("energy.csv", "indicators.csv", "targets.csv")
HEAVY = ("numpy", "pandas", "weasyprint", "matplotlib", "scipy", "SALib", "skcriteria", "openpyxl", "jinja2",
         "pydantic", "rich", "jxscore.service")


def _env() -> dict[str, str]:
    """This environment without anything that would lead a child Python back to this checkout or its .venv."""
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONUSERBASE", "__PYVENV_LAUNCHER__")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PYTHONNOUSERSITE="1", PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1", COLUMNS="200")
    return env


def _run(cmd: list, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, (f"{cmd} exited {p.returncode}\n--- stdout\n{p.stdout[-4000:]}\n"
                               f"--- stderr\n{p.stderr[-4000:]}")
    return p


def _project_files() -> list[Path]:
    """What a build needs: pyproject, README, licence files and src/ — tracked or new, not ignored, still on disk."""
    wanted = ["pyproject.toml", "README.md", "src"] + [p.name for pat in ("LICEN[CS]E*", "COPYING*", "NOTICE*")
                                                         for p in ROOT.glob(pat)]
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *wanted],
                             cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout
        files = [Path(f) for f in out.split("\0") if f]
    except (OSError, subprocess.SubprocessError):  # not a git checkout (an sdist, a copied folder)
        files = [p.relative_to(ROOT) for w in wanted for p in ([ROOT / w] if (ROOT / w).is_file()
                                                              else sorted((ROOT / w).rglob("*")))]
    return [f for f in files if (ROOT / f).is_file() and "__pycache__" not in f.parts and ".egg-info" not in str(f)
            and f.suffix != ".pyc"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel path, the project files under src/jxscore that went into it)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "project"
    files = _project_files()
    for f in files:
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, src / f)
    dist = tmp / "dist"
    # build isolation: the build backend pinned in [build-system], as `pip install .` gets it (the .venv's own
    # setuptools may be older than pyproject.toml needs)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, src], cwd=tmp, timeout=600)
    wheels = list(dist.glob("jxscore-*.whl"))
    assert len(wheels) == 1, wheels
    yield wheels[0], [f.relative_to("src").as_posix() for f in files if f.parts[:2] == ("src", "jxscore")]
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory):
    """A new virtual environment outside the repository with the wheel and its pinned dependencies."""
    tmp = tmp_path_factory.mktemp("venv")
    env_dir = tmp / "venv"
    _run([sys.executable, "-m", "venv", env_dir], cwd=tmp, timeout=300)
    py = env_dir / "bin" / "python"
    # --no-compile: byte-compiling ~600 MB of dependencies would double the install time; imports compile lazily
    _run([py, "-m", "pip", "install", "-q", "--no-compile", "-c", ROOT / "constraints.txt", built[0]], cwd=tmp,
         timeout=1800)
    yield env_dir
    shutil.rmtree(tmp, ignore_errors=True)  # ~600 MB: don't leave it for pytest's tmp_path retention


def test_wheel_ships_package_data(built):
    wheel, sources = built
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    for must in ("jxscore/schemes/jiangxi.toml", "jxscore/templates/scorecard.html.j2", "jxscore/py.typed"):
        assert must in names
    # every file of the package (criteria, templates, catalogues under locale/<lang>/LC_MESSAGES/, modules)
    missing = sorted(set(sources) - names)
    assert not missing, f"not in the wheel, add to [tool.setuptools.package-data]: {missing}"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_installed_wheel_reports_outside_the_repository(venv, tmp_path):
    py, jx = venv / "bin" / "python", venv / "bin" / "jxscore"
    cfg = (venv / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in cfg
    pths = [p for p in venv.glob("lib/python*/site-packages/*.pth") if str(ROOT) in p.read_text(errors="replace")]
    assert not pths, f".pth files pointing at the checkout: {pths}"

    where = _run([py, "-c", "import jxscore, sys; print(jxscore.__file__)"], cwd=tmp_path).stdout.strip()
    assert Path(where).resolve().is_relative_to(venv.resolve()), where
    assert not Path(where).resolve().is_relative_to(ROOT), where

    data = tmp_path / "data"
    data.mkdir()
    for name in SAMPLE:
        shutil.copy2(ROOT / "data" / name, data / name)
    out = tmp_path / "out"
    p = _run([jx, "report", "--year", 2024, "--data", data, "--out", out], cwd=tmp_path, timeout=900)
    assert "Traceback" not in p.stderr
    cards = sorted(out.glob("scorecards/*.pdf"))
    assert len(cards) == 11, cards
    for pdf in [*cards, out / "summary.pdf"]:
        assert pdf.read_bytes()[:5] == b"%PDF-", pdf
    assert {"scores.csv", "ledger.csv", "manifest.json", "results.xlsx"} <= {f.name for f in out.iterdir()}

    h = _run([jx, "--help"], cwd=tmp_path, timeout=60)
    assert "report" in h.stdout

    # the portal: its migrations and pages come from the installed package too
    db = f"sqlite:///{tmp_path / 'portal.db'}"
    assert "0002" in _run([jx, "db", "upgrade", "--db", db], cwd=tmp_path, timeout=120).stdout
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([str(jx), "serve", "--db", db, "--port", str(port)], cwd=tmp_path, env=_env(),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180  # a cold start compiles FastAPI, SQLAlchemy and pydantic (--no-compile)
    try:
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                if time.monotonic() > deadline:
                    pytest.fail("jxscore serve did not answer within 180 s")
                time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert 'name="csrf_token"' in page and "登录" in page


def test_help_loads_no_heavy_module(tmp_path):
    """`jxscore --help` renders without the scientific stack, the PDF renderer, rich, or the service layer."""
    code = ("import sys\nfrom jxscore.__main__ import main\nsys.argv = ['jxscore', '--help']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert "compare-methods" in p.stdout
    assert p.stdout.strip().splitlines()[-1] == "LOADED []"
