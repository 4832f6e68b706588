"""Write a run's outputs so that a failure leaves the previous results untouched."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success move each entry into `out_dir`, replacing old ones.

    Staging lives inside `out_dir`'s parent so the final moves are renames on one file system.
    Entries of `out_dir` that this run does not write are kept.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        yield stage
        out.mkdir(exist_ok=True)
        for entry in sorted(stage.iterdir()):
            dest = out / entry.name
            if dest.is_dir() and not dest.is_symlink():
                trash = Path(tempfile.mkdtemp(prefix=f".{entry.name}.old-", dir=out))
                os.replace(dest, trash / entry.name)
                os.replace(entry, dest)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(entry, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
