"""Headless LibreOffice for the tests: re-save a workbook (`resave`) or print it to PDF (`to_pdf`).

Every call starts its own soffice with a fresh, throw-away user profile (so runs are independent, may
run in parallel and never see a desktop user's settings or extensions) and a timeout. Nothing here
touches the network: the profile has no extensions, macros are disabled, links to other files or web
sources are never updated, Debian's build has no online update check, and where the kernel allows an
unprivileged network namespace (`unshare -rn`) soffice runs without any network at all.

    from libreoffice import resave, to_pdf   # LibreOffice comes with the set-up; missing, the tests fail
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 60  # seconds per conversion; one takes ~1-3 s on a laptop

# a profile seeded before the first start: macros off, links to other files or the web never updated
# (Calc/Writer Update/Link: 0 always, 1 never, 2 on request)
_SETTINGS = [
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "1"),
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "1"),
    ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
]
_PROFILE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    + "".join(f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>\n'
              for path, name, value in _SETTINGS)
    + "</oor:items>\n"
)


class LibreOfficeError(RuntimeError):
    pass


def soffice() -> str | None:
    """The soffice (or libreoffice) command, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice() is not None


@functools.lru_cache(maxsize=1)
def _offline_prefix() -> tuple[str, ...]:
    """`unshare -rn` (own user + empty network namespace) when this kernel/container allows it."""
    unshare = shutil.which("unshare")
    if not unshare:
        return ()
    try:
        ok = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return (unshare, "-rn") if ok else ()


def convert(path: Path | str, out_dir: Path | str, fmt: str, *, timeout: float = TIMEOUT) -> Path:
    """`soffice --convert-to fmt` of one file into out_dir; returns the written file's path.

    fmt is what --convert-to takes: an extension ("xlsx", "pdf", "ods") optionally with a filter
    ("pdf:calc_pdf_Export"). Raises LibreOfficeError when soffice is missing, fails, writes nothing
    or runs longer than `timeout` seconds (the whole process group is killed then)."""
    exe = soffice()
    if exe is None:
        raise LibreOfficeError("LibreOffice (soffice) is not installed: run bash scripts/setup-system.sh")
    src = Path(path).resolve()
    if not src.is_file():
        raise FileNotFoundError(src)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{src.stem}.{fmt.split(':', 1)[0]}"
    if target == src:
        raise ValueError(f"converting {src.name} to {fmt} into its own folder would overwrite it")
    if target.exists():
        target.unlink()  # a stale file must not pass for this run's output

    profile = Path(tempfile.mkdtemp(prefix="jx-lo-profile-"))
    try:
        (profile / "user").mkdir()
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        cmd = [*_offline_prefix(), exe, "--headless", "--norestore", "--nolockcheck", "--nologo",
               "--nodefault", "--nofirststartwizard", f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", fmt, "--outdir", str(out), str(src)]
        env = {**os.environ, "HOME": str(profile), "SAL_USE_VCLPLUGIN": "svp"}
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ftp_proxy", "all_proxy"):
            env.pop(proxy, None)
        # own process group: the soffice wrapper script starts oosplash and soffice.bin, kill them all
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=profile, start_new_session=True, text=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise LibreOfficeError(f"soffice --convert-to {fmt} {src.name}: no result after {timeout:g} s") from None
        finally:
            try:  # a leftover child (e.g. soffice.bin after the wrapper exited) must not outlive the call
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    # soffice exits 0 even when it could not load the file: the written file is the only proof
    if proc.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        raise LibreOfficeError(f"soffice --convert-to {fmt} {src.name} failed (exit {proc.returncode}):\n"
                               f"{stdout.strip()}\n{stderr.strip()}".rstrip())
    return target


def resave(path: Path | str, out_dir: Path | str, fmt: str = "xlsx", *, timeout: float = TIMEOUT) -> Path:
    """Open the workbook in LibreOffice Calc and save it again (as a user would) into out_dir."""
    return convert(path, out_dir, fmt, timeout=timeout)


def to_pdf(path: Path | str, out_dir: Path | str, *, timeout: float = TIMEOUT) -> Path:
    """Print a workbook (every sheet, with its page setup) to PDF in out_dir."""
    return convert(path, out_dir, "pdf", timeout=timeout)


def pdf_pages(pdf: Path | str) -> int:
    """Page count from poppler's pdfinfo."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=30).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
