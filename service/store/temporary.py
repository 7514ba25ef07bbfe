"""Temporary store folders (a server started without --store) that do not pile up.

A server stopped by SIGTERM or SIGINT removes its folder itself. One killed with SIGKILL cannot, so
each start removes the temporary stores of servers it can prove dead: a folder whose lock (the flock
every live server holds on its store, on_disk.py) can be taken. The kernel drops a flock with the
process, so a free lock is proof; folders younger than a minute are left alone, as their server may
be between creating the folder and locking it.

multiprocessing's temporary folder, where the query workers' fork server listens, is made one of these
too (`for_multiprocessing`): left to itself it is a `pymp-*` folder that a SIGKILL leaves for good.
"""
from __future__ import annotations

import atexit
import fcntl
import multiprocessing.process
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from service.store.on_disk import LOCK

PREFIX = "alliance-kg-store-"
RUN_PREFIX = "akg-run-"  # short: the fork server's socket path inside it must fit in 107 bytes
GRACE_SECONDS = 60
_held_locks = []  # the open files whose flock marks this process's run folder as alive


def create(record: list[Path], prefix: str = PREFIX) -> Path:
    """A new temporary folder, after removing those of dead servers. Its path goes into `record` before
    the folder is made: a stop (the SystemExit a SIGTERM or SIGINT handler raises between any two steps
    of the main thread) that lands after the folder is made, but before the caller has it, still
    leaves it in `record`, whose cleanup the caller registered first. `tempfile.mkdtemp` names its
    folder only once it is made."""
    remove_stale()
    base = Path(tempfile.gettempdir())
    while True:
        folder = base / (prefix + secrets.token_hex(4))
        record.append(folder)
        try:
            folder.mkdir(mode=0o700)
            return folder
        except FileExistsError:  # another's: not to be removed by our cleanup
            record.remove(folder)


def remove(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def for_multiprocessing() -> None:
    """Give multiprocessing a temporary folder of ours, locked for this process's life and removed at
    its exit, before it makes its own. multiprocessing offers no public way to choose it: its own
    `get_temp_dir` reads the `tempdir` entry set here."""
    config = multiprocessing.process.current_process()._config
    if config.get("tempdir"):
        return  # made already (once per process): the fork server, if running, listens there
    made = []
    atexit.register(remove, made)  # before the folder exists: a stop at any moment after leaves none
    folder = create(made, RUN_PREFIX)
    handle = open(folder / LOCK, "a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    _held_locks.append(handle)
    config["tempdir"] = str(folder)


def remove_stale(parent: Path | None = None, grace: float = GRACE_SECONDS) -> list[Path]:
    """Remove the temporary folders under `parent` (the system's temporary folder) whose server is dead."""
    removed = []
    base = Path(parent or tempfile.gettempdir())
    for folder in [*base.glob(PREFIX + "*"), *base.glob(RUN_PREFIX + "*")]:
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
