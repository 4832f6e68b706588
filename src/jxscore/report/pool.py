"""The render fork server's preload list, and starting that server early.

Standard library only: `jxscore report` imports this (jxscore.__main__) before anything else, so
the server starts importing WeasyPrint about 60 ms into the command instead of after the CLI's
own imports. jxscore.report.render builds the pool of workers on the same server.
"""

from __future__ import annotations

import os

# The fork server only imports the modules of its preload list. This name is no file: importing it
# (a finder jxscore.report.render puts at the end of sys.meta_path answers for exactly this name and
# nothing else is ever imported under it) runs render.prepare_fork_server(). Only the server imports it.
FORK_SERVER_PREP = "jxscore.report._prepare_fork_server"

# Imported once by the fork server; every render worker is forked from it with these loaded (and,
# by FORK_SERVER_PREP, WeasyPrint warmed up). "__main__" too: the server imports the caller's main
# script once, so the workers (forked from it) skip re-running it, which every spawned/fork-served
# child otherwise does (the `jxscore` script only imports jxscore.__main__, a few lines).
PRELOAD = ["__main__", "jxscore.report.render", "jxscore.report.pdf", "jxscore.report.charts", "jinja2",
           FORK_SERVER_PREP]


def prestart() -> None:
    """Start the render fork server now, without waiting for it (two process spawns, ~10 ms).

    Its ~1 s of importing and warming WeasyPrint is the first document's critical path; started
    here (jxscore.__main__ calls this before the CLI is even imported, for `jxscore report`) it
    overlaps the command's own imports and scoring. A Renderer made later forks its workers from
    this server, as it would from one it started itself; a run that ends before rendering simply
    leaves it to exit with us.
    """
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods() or (os.cpu_count() or 1) < 2:  # no pool: Renderer
        return
    from multiprocessing import forkserver

    mp.get_context("forkserver").set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()
