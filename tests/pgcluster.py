"""A throwaway PostgreSQL cluster for the tests: initdb in a temp dir, pg_ctl start on 127.0.0.1.

Debian's `postgresql` puts initdb/pg_ctl in /usr/lib/postgresql/<ver>/bin, not on PATH, so they are
looked up there too. PostgreSQL refuses to run as root; as root the cluster runs as the `postgres`
system user (created by the package) through `runuser`, in a dir under /tmp chowned to it (pytest's
own tmp dirs are 0700 root and the server could not enter them).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from glob import glob
from pathlib import Path

PG_ROOTS = ("/usr/lib/postgresql/*/bin",)
READY_TIMEOUT = 60.0  # seconds to wait for the server to accept connections (slow CI disks)
SUPERUSER = "postgres"


class PgUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed (or cannot be run here)."""


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def find_pg_bin(path: str | None = None, roots: tuple[str, ...] = PG_ROOTS) -> Path:
    """The dir holding pg_ctl and initdb: PATH first, else the newest /usr/lib/postgresql/<ver>/bin."""
    found = shutil.which("pg_ctl", path=path)
    if found:
        d = Path(os.path.realpath(found)).parent
        if (d / "initdb").exists():
            return d
    dirs = [d for root in roots for d in glob(root) if Path(d, "pg_ctl").exists() and Path(d, "initdb").exists()]
    if dirs:
        return Path(max(dirs, key=_version_key))
    raise PgUnavailable(
        "pg_ctl/initdb not found (neither on PATH nor in /usr/lib/postgresql/<ver>/bin): "
        "the PostgreSQL tests need Debian's `postgresql`; run `bash scripts/setup-system.sh` "
        "(or `apt-get install postgresql`)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """`with PgCluster() as pg: pg.url` — a running cluster, stopped and removed on exit."""

    def __init__(self, bin_dir: Path | None = None, dbname: str = "jxscore_test"):
        self.bin = bin_dir or find_pg_bin()
        self.dbname = dbname
        self.root: Path | None = None
        self.port: int | None = None
        self._as: list[str] = []

    # -- paths -------------------------------------------------------------------------------
    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, dbname: str | None = None) -> str:
        """SQLAlchemy URL of a database in this cluster (the default one unless named)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname or self.dbname}"

    # -- running programs --------------------------------------------------------------------
    def _run(self, prog: str, *args: str, timeout: float = READY_TIMEOUT) -> subprocess.CompletedProcess:
        cmd = [*self._as, str(self.bin / prog), *args]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        try:
            # output to a file, not a pipe: a daemonised postmaster must not hold our pipe open
            with tempfile.TemporaryFile() as out:
                p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout, cwd=self.root)
                out.seek(0)
                p.stdout = out.read().decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            raise PgUnavailable(f"{prog} did not finish within {timeout:.0f} s{self._log_tail()}") from e
        if p.returncode != 0:
            raise PgUnavailable(f"{' '.join(cmd)} failed (exit {p.returncode}):\n{p.stdout}{self._log_tail()}")
        return p

    def _log_tail(self, lines: int = 40) -> str:
        if self.root is None or not self.log.exists():
            return ""
        tail = self.log.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- server log ---\n" + "\n".join(tail)

    def _prepare_user(self) -> None:
        """As root: run everything as `postgres` and give it the cluster dir."""
        if os.geteuid() != 0:
            return
        import pwd

        try:
            pw = pwd.getpwnam(SUPERUSER)
        except KeyError as e:
            raise PgUnavailable(
                "running as root, and there is no `postgres` system user to run the server as "
                "(Debian's `postgresql` package creates it; run `bash scripts/setup-system.sh`)"
            ) from e
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        if not runuser:
            raise PgUnavailable("running as root and `runuser` (util-linux) is missing")
        os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._as = [runuser, "-u", SUPERUSER, "--"]

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> PgCluster:
        self.root = Path(tempfile.mkdtemp(prefix="jxscore-pg-"))
        atexit.register(self.stop)  # a test run that dies early leaves no server behind
        try:
            self._prepare_user()
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                      "--locale=C", "--no-sync")
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(
                    "\n# jxscore tests: loopback only, socket in the cluster dir, durability off\n"
                    "listen_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.root}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 100\n"
                )
            self._start_on_free_port()
            self._wait_ready()
            self._create_database(self.dbname)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_on_free_port(self, attempts: int = 3) -> None:
        """pg_ctl start on a free port; another process may take the port in between, so retry."""
        for attempt in range(attempts):
            self.port = free_port()
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", f"-p {self.port}",
                          "-w", "-t", str(int(READY_TIMEOUT)), "start", timeout=READY_TIMEOUT + 10)
                return
            except PgUnavailable:
                if attempt == attempts - 1 or "could not bind" not in self._log_tail():
                    raise

    def _wait_ready(self) -> None:
        """pg_ctl -w waited for the socket; this waits until a real login on 127.0.0.1 works."""
        import psycopg

        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                                     connect_timeout=5):
                    return
            except psycopg.OperationalError as e:
                if time.monotonic() > deadline:
                    raise PgUnavailable(f"PostgreSQL on 127.0.0.1:{self.port} not ready: {e}{self._log_tail()}") from e
                time.sleep(0.2)

    def _create_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(name)))

    def new_database(self, name: str) -> str:
        """Another empty database in the cluster (for a test that must start from nothing); its URL."""
        self._create_database(name)
        return self.url(name)

    def stop(self) -> None:
        """pg_ctl stop -m fast; if that fails, SIGQUIT the postmaster; then remove the dir."""
        if self.root is None:
            return
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop", timeout=40)
            except PgUnavailable:
                try:
                    os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
                    time.sleep(1)
                except (OSError, ValueError, IndexError):
                    pass
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
