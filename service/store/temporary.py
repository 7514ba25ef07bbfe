"""Temporary store folders (a server started without --store) that do not pile up.

A server stopped by SIGTERM or SIGINT removes its folder itself. One killed with SIGKILL cannot, so
each start removes the temporary stores of servers it can prove dead: a folder whose lock (the flock
every live server holds on its store, on_disk.py) can be taken. The kernel drops a flock with the
process, so a free lock is proof; folders younger than a minute are left alone, as their server may
be between creating the folder and locking it.
"""
from __future__ import annotations

import fcntl
import shutil
import tempfile
import time
from pathlib import Path

from service.store.on_disk import LOCK

PREFIX = "alliance-kg-store-"
GRACE_SECONDS = 60


def create() -> Path:
    """A new temporary store folder, after removing those of dead servers."""
    remove_stale()
    return Path(tempfile.mkdtemp(prefix=PREFIX))


def remove_stale(parent: Path | None = None, grace: float = GRACE_SECONDS) -> list[Path]:
    """Remove the temporary stores under `parent` (the system's temporary folder) whose server is dead."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(PREFIX + "*"):
        lock = folder / LOCK
        try:
            if time.time() - lock.stat().st_mtime < grace:
                continue
            with open(lock, "a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live server holds it
                shutil.rmtree(folder, ignore_errors=True)  # under the lock: no server can open it meanwhile
                removed.append(folder)
        except OSError:  # no lock (never opened, or not ours) or removed meanwhile: not provably dead
            continue
    return removed
