"""Browser tests on Debian's chromium-headless-shell (apt), driven by Playwright's sync API.

`playwright install` fetches a browser build of its own; it is never used: the set-up installs
`chromium-headless-shell` with apt and Playwright is pointed at it with `executable_path`.
Also `live_server(app)`: an ASGI app served by uvicorn in a thread, for the browser to load.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_CANDIDATES = (
    "/usr/lib/chromium/chromium-headless-shell",  # the binary itself
    "/usr/bin/chromium-headless-shell",  # Debian's sh wrapper around it
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root in CI: Chromium's sandbox refuses to start as root
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
START_TIMEOUT = 30.0  # seconds for uvicorn to start listening


class BrowserUnavailable(RuntimeError):
    """chromium-headless-shell is not installed."""


def chromium_path(candidates: tuple[str, ...] = CHROMIUM_CANDIDATES) -> str:
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    raise BrowserUnavailable(
        "chromium-headless-shell not found (looked for " + ", ".join(candidates) + "): the browser tests "
        "need Debian's `chromium-headless-shell`; run `bash scripts/setup-system.sh` "
        "(or `apt-get install chromium-headless-shell`); `playwright install` is not used"
    )


def launch_chromium(browser_type, **launch_kw):
    """`browser_type.launch` on Debian's headless shell (browser_type: `playwright.chromium`, or
    `browser.browser_type` for a second browser: one thread holds one sync Playwright).
    Playwright gives each launch a fresh user-data-dir (mkdtemp `playwright_chromiumdev_profile-*`
    in the temp dir) and removes it on close."""
    return browser_type.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True, **launch_kw)


@contextmanager
def launch_browser(**launch_kw) -> Iterator:
    """A Playwright Browser on Debian's headless shell, with its own sync Playwright."""
    from playwright.sync_api import sync_playwright

    chromium_path()  # the clear error before Playwright's driver starts
    with sync_playwright() as p:
        browser = launch_chromium(p.chromium, **launch_kw)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, **context_kw):
    """A page in its own context (own cookies), a fixed viewport, Chinese locale."""
    context_kw.setdefault("viewport", VIEWPORT)
    context_kw.setdefault("locale", "zh-CN")
    return browser.new_context(**context_kw).new_page()


def collect_errors(page) -> list[str]:
    """A list that fills with the page's console errors and uncaught exceptions (CSP refusals too)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR; ValueError if the file is not a PNG."""
    head = Path(path).read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


@contextmanager
def live_server(app, log_level: str = "warning") -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread on 127.0.0.1; yields the base URL.

    The socket is bound here (port 0 → a free port, no race) and handed to uvicorn."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level=log_level, lifespan="auto", access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run():
        try:
            server.run(sockets=[sock])
        except BaseException as e:  # noqa: BLE001 - reported to the caller below
            failure.append(e)

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if failure or not thread.is_alive():
            sock.close()
            raise RuntimeError(f"uvicorn did not start: {failure[0] if failure else 'thread ended'}")
        if time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"uvicorn did not start within {START_TIMEOUT:.0f} s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        if thread.is_alive():  # open keep-alive connections: stop waiting for them
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()
