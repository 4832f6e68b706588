#!/usr/bin/env python3
"""The portal under load (issue 14 item 10) on the embedded default, a SQLite file, against a real
`jxscore serve` on 127.0.0.1 (one uvicorn process), driven by httpx.AsyncClient sessions in this process.

1. the 11 cities uploading their workbooks at once to an open 2024 round: every one must be stored (已提交);
2. N concurrent readers of scorecard pages (city users their own `/2024/{slug}/`, office sessions any city's)
   for a bounded count of requests or seconds: any answer but 200 is an error (one session alone first, for
   the page's own latency without queueing);
3. the what-if JSON endpoint under a few office sessions, over several slider settings.

Every virtual user logs in first (GET /login, POST /login with the csrf_token). Set-up is not timed: two
databases in a temporary folder — one with the accounts and the 2024 round just opened, one with the sample
round loaded (`portal.demo.load_sample`: 2021–2024, 2024 in 公示; about a minute). Errors are counted, never
retried. Figures: a table on stdout and bench/results/portal.json.

    .venv/bin/python bench/bench_portal.py [--readers 50] [--requests 2000] [--seconds 30]
                                           [--whatif-sessions 10] [--whatif-requests 500] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = ROOT / "data"
RESULTS = ROOT / "bench" / "results" / "portal.json"
PASSWORD = "bench-Passw0rd-城市"
OFFICE = "kaoheban"
WHATIF = ["A1=25", "C=40", "rescale=0", "A1=25&rescale=0", "C=40&A1=5", ""]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
START_TIMEOUT = 60.0  # seconds for the server to answer its login page
REQUEST_TIMEOUT = 120.0


# ------------------------------------------------------------------ set-up (not timed)

def cities() -> dict[str, str]:
    """slug → city name, from the bundled scheme."""
    from jxscore.core.criteria import load_criteria
    from jxscore.resources import default_criteria_path

    return {e.slug: e.name for e in load_criteria(default_criteria_path()).entities}


def db_upgrade(url: str) -> None:
    subprocess.run([str(BIN / "jxscore"), "db", "upgrade", "--db", url], check=True, stdout=subprocess.DEVNULL)


def open_round_db(url: str, by_slug: dict[str, str]) -> dict[str, str]:
    """Accounts (office + 11 cities, one known password) and the 2024 round opened with office.xlsx."""
    from jxscore.portal import rounds
    from jxscore.portal.accounts import add_user
    from jxscore.portal.clock import system_clock
    from jxscore.portal.db import make_engine, sessions, transaction

    db_upgrade(url)
    factory = sessions(make_engine(url))
    names = list(by_slug.values())
    with transaction(factory) as s:
        office = add_user(s, system_clock(), OFFICE, "office", PASSWORD, None, names)
        for slug, city in by_slug.items():
            add_user(s, system_clock(), slug, "city", PASSWORD, city, names)
        rounds.open_round(s, system_clock(), 2024, None, (DATA / "returns" / "office.xlsx").read_bytes(), office)
    return {name: PASSWORD for name in [OFFICE, *by_slug]}


def published_db(url: str) -> dict[str, str]:
    """The sample round (2021–2024, 2024 put up for 公示); returns each account's password."""
    from jxscore.portal.clock import system_clock
    from jxscore.portal.db import make_engine, sessions
    from jxscore.portal.demo import load_sample

    db_upgrade(url)
    made = load_sample(sessions(make_engine(url)), system_clock, DATA, say=lambda m: print("  " + m, flush=True))
    return {name: pw for name, _who, pw in made}


def stored_states(url: str, year: int) -> dict[str, str]:
    """city → its state label as the office dashboard shows it (已提交 …), read from the database."""
    from jxscore.portal import rounds
    from jxscore.portal.db import make_engine, sessions, transaction

    with transaction(sessions(make_engine(url))) as s:
        return {c.city: c.label for c in rounds.city_states(s, rounds.get_round(s, year))}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`jxscore serve` as a subprocess on 127.0.0.1, stopped (by its own pid) when the block ends."""

    def __init__(self, url: str, workdir: Path):
        self.url, self.workdir, self.port = url, workdir, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"serve-{self.port}.log"

    def __enter__(self) -> Server:
        import httpx

        self.out = self.log.open("wb")
        self.proc = subprocess.Popen([str(BIN / "jxscore"), "serve", "--db", self.url, "--host", "127.0.0.1",
                                      "--port", str(self.port)], cwd=self.workdir, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(self.base + "/login", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SystemExit(f"jxscore serve did not start:\n{self.log.read_text(errors='replace')[-2000:]}")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()

    def errors_logged(self) -> str:
        """Tracebacks or errors the server wrote (uvicorn logs at warning level)."""
        text = self.log.read_text(errors="replace")
        return text if re.search(r"Traceback|ERROR|locked", text) else ""


# ------------------------------------------------------------------ load

def pct(xs: list[float], q: float) -> float:
    """Nearest-rank percentile of `xs` (seconds) in ms."""
    ys = sorted(xs)
    return 1000 * ys[max(0, math.ceil(q / 100 * len(ys)) - 1)]


def summary(lat: list[float], wall: float, errors: int, **extra) -> dict:
    out = {"requests": len(lat), "errors": errors, "wall_s": round(wall, 3),
           "req_per_s": round(len(lat) / wall, 1) if wall else None}
    if lat:
        out.update(p50_ms=round(pct(lat, 50), 1), p95_ms=round(pct(lat, 95), 1), max_ms=round(1000 * max(lat), 1))
    return out | extra


async def client(base: str):
    import httpx

    # keep-alive connections dropped after 2 s idle: httpx's default 5 s equals uvicorn's, and a session idle
    # that long (waiting for the others to log in) would race the server closing its connection
    return httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=REQUEST_TIMEOUT,
                             limits=httpx.Limits(max_connections=2, keepalive_expiry=2))


async def login(c, name: str, password: str) -> float:
    t = time.perf_counter()
    page = await c.get("/login")
    token = CSRF.search(page.text).group(1)
    r = await c.post("/login", data={"username": name, "password": password, "csrf_token": token})
    if r.status_code != 303 or r.headers.get("location") != "/":
        raise SystemExit(f"login of {name} failed: {r.status_code}")
    return time.perf_counter() - t


async def logins(base: str, who: list[tuple[str, str]], at_once: int) -> tuple[list, list[float]]:
    """A logged-in client per (name, password), `at_once` logins in flight."""
    gate = asyncio.Semaphore(at_once)
    clients = [await client(base) for _ in who]

    async def one(c, name, pw):
        async with gate:
            return await login(c, name, pw)

    times = await asyncio.gather(*(one(c, n, p) for c, (n, p) in zip(clients, who)))
    return clients, list(times)


async def uploads(base: str, passwords: dict[str, str], by_slug: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The 11 cities, each logged in with its form page read, posting their workbooks at the same moment."""
    from jxscore.portal.files import sha256

    slugs = list(by_slug)
    clients, _ = await logins(base, [(s, passwords[s]) for s in slugs], at_once=len(slugs))
    tokens, books = {}, {}
    for c, slug in zip(clients, slugs):
        form = await c.get(f"/2024/{slug}/submission")
        assert form.status_code == 200, (slug, form.status_code)
        tokens[slug] = CSRF.search(form.text).group(1)
        books[slug] = (DATA / "returns" / f"{slug}.xlsx").read_bytes()
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    failures: dict[str, str] = {}

    async def one(c, slug) -> float:
        t = time.perf_counter()
        r = await c.post(f"/2024/{slug}/submission", data={"csrf_token": tokens[slug]},
                         files={"file": (f"{slug}.xlsx", books[slug], media)})
        dt = time.perf_counter() - t
        if r.status_code != 200 or "已收到并存档" not in r.text or sha256(books[slug]) not in r.text:
            failures[slug] = f"HTTP {r.status_code}"
        return dt

    t0 = time.perf_counter()
    lat = await asyncio.gather(*(one(c, slug) for c, slug in zip(clients, slugs)))
    wall = time.perf_counter() - t0
    for c in clients:
        await c.aclose()
    return summary(list(lat), wall, len(failures), uploads=len(slugs),
                   bytes_each=round(sum(map(len, books.values())) / len(books))), failures


async def hammer(clients_paths: list[tuple[object, list[str]]], total: int, seconds: float,
                 ok=lambda r: r.status_code == 200) -> dict:
    """Each client loops over its paths until `total` requests were sent or `seconds` passed."""
    left, lat, errors = [total], [], []
    deadline = time.perf_counter() + seconds

    async def worker(c, paths):
        i = 0
        while left[0] > 0 and time.perf_counter() < deadline:
            left[0] -= 1
            path = paths[i % len(paths)]
            i += 1
            t = time.perf_counter()
            try:
                r = await c.get(path)
                good = ok(r)
                what = f"{r.status_code} {path}"
            except Exception as e:  # noqa: BLE001 - a timeout or a dropped connection is an error, counted
                good, what = False, f"{type(e).__name__} {path} at {t - t0:.1f} s, request {i} of the session"
            lat.append(time.perf_counter() - t)
            if not good:
                errors.append(what)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c, p) for c, p in clients_paths))
    wall = time.perf_counter() - t0
    return summary(lat, wall, len(errors), sessions=len(clients_paths), error_samples=sorted(set(errors))[:10])


async def readers(base: str, passwords: dict[str, str], by_slug: dict[str, str], n: int, total: int,
                  seconds: float) -> tuple[dict, dict]:
    """n sessions: one in five the office (reading every city in turn), the rest cities reading their own page."""
    slugs = list(by_slug)
    who, paths = [], []
    for i in range(n):
        if i % 5 == 0:
            who.append((OFFICE, passwords[OFFICE]))
            paths.append([f"/2024/{s}/" for s in slugs[i // 5 % len(slugs):] + slugs[:i // 5 % len(slugs)]])
        else:
            slug = slugs[i % len(slugs)]
            who.append((slug, passwords[slug]))
            paths.append([f"/2024/{slug}/"])
    t0 = time.perf_counter()
    clients, login_times = await logins(base, who, at_once=10)
    login_wall = time.perf_counter() - t0
    city_of = {f"/2024/{s}/": c for s, c in by_slug.items()}

    def ok(r):
        return r.status_code == 200 and city_of[r.request.url.path] in r.text

    alone = await hammer([(clients[0], paths[0])], min(total, 110), seconds, ok=ok)  # the office, every city
    res = await hammer(list(zip(clients, paths)), total, seconds, ok=ok)
    res["one_session"] = alone
    for c in clients:
        await c.aclose()
    return res, summary(login_times, login_wall, 0, at_once=10)


async def whatif(base: str, passwords: dict[str, str], n: int, total: int, seconds: float) -> dict:
    """The slider endpoint: one warm-up request (the round scored once and cached), then 1 session alone for
    a baseline and n sessions at once."""
    def ok(r):
        return r.status_code == 200 and len(r.json().get("cities", [])) == 11

    paths = ["/office/2024/whatif.json" + ("?" + q if q else "") for q in WHATIF]
    clients, _ = await logins(base, [(OFFICE, passwords[OFFICE])] * n, at_once=n)
    t = time.perf_counter()
    warm = await clients[0].get(paths[0])
    warm_s = time.perf_counter() - t
    assert ok(warm), (warm.status_code, warm.text[:300])
    alone = await hammer([(clients[0], paths)], min(total, 120), seconds)
    many = await hammer([(c, paths[i % len(paths):] + paths[:i % len(paths)]) for i, c in enumerate(clients)],
                        total, seconds, ok=ok)
    for c in clients:
        await c.aclose()
    return {"settings": WHATIF, "first_request_s": round(warm_s, 3), "one_session": alone, "concurrent": many}


# ------------------------------------------------------------------ report

def table(res: dict) -> str:
    rows = [(f"11 uploads at once (wall {res['uploads']['wall_s']:.2f} s)", res["uploads"]),
            ("scorecard pages, 1 session", res["readers"]["one_session"]),
            (f"scorecard pages, {res['readers']['sessions']} sessions", res["readers"]),
            ("what-if JSON, 1 session", res["whatif"]["one_session"]),
            (f"what-if JSON, {res['whatif']['concurrent']['sessions']} sessions", res["whatif"]["concurrent"]),
            ("logins (argon2), 10 at once", res["logins"])]
    lines = [f"{'what':<36} {'n':>6} {'err':>4} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"]
    for name, r in rows:
        lines.append(f"{name:<36} {r['requests']:>6} {r['errors']:>4} {r['req_per_s'] or 0:>7} "
                     f"{r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--readers", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--whatif-sessions", type=int, default=10)
    ap.add_argument("--whatif-requests", type=int, default=500)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, server logs)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()

    by_slug = cities()
    work = Path(tempfile.mkdtemp(prefix="jxscore-bench-portal-"))
    res: dict = {"date": datetime.now(UTC).date().isoformat(), "cores": os.cpu_count(),
                 "load_avg_before": [round(x, 2) for x in os.getloadavg()], "server": "jxscore serve (uvicorn, 1 "
                 "process), SQLite file; clients httpx.AsyncClient in one process on the same machine"}
    problems = []
    try:
        print("set-up: 2024 round opened, 12 accounts …", flush=True)
        url1 = f"sqlite:///{work / 'open.db'}"
        pw1 = open_round_db(url1, by_slug)
        with Server(url1, work) as srv:
            res["uploads"], failures = asyncio.run(uploads(srv.base, pw1, by_slug))
            logged = srv.errors_logged()
        states = stored_states(url1, 2024)
        res["uploads"]["states"] = sorted(set(states.values()))
        if failures or set(states.values()) != {"已提交"} or logged:
            problems.append(f"uploads: {failures} states {states} server log:\n{logged[-3000:]}")

        print("set-up: the sample round (2021–2024, 2024 in 公示), about a minute …", flush=True)
        url2 = f"sqlite:///{work / 'published.db'}"
        pw2 = published_db(url2)
        with Server(url2, work) as srv:
            res["readers"], res["logins"] = asyncio.run(
                readers(srv.base, pw2, by_slug, a.readers, a.requests, a.seconds))
            res["whatif"] = asyncio.run(whatif(srv.base, pw2, a.whatif_sessions, a.whatif_requests, a.seconds))
            logged = srv.errors_logged()
        if res["readers"]["errors"] or res["whatif"]["concurrent"]["errors"] or logged:
            problems.append(f"readers/what-if errors {res['readers']['error_samples']} "
                            f"{res['whatif']['concurrent']['error_samples']} server log:\n{logged[-3000:]}")
    finally:
        if a.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    res["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(table(res))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {a.out.relative_to(ROOT) if a.out.is_relative_to(ROOT) else a.out}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":  # the render pool's fork server re-imports this file: nothing runs on import
    main()
