"""Processes that cannot outlive the server: the fork server and the query workers die with it.

A worker busy in Oxigraph runs Rust code that never returns to Python, so it neither sees a closed
pipe nor runs a Python signal handler; only the kernel can stop it. Linux's PR_SET_PDEATHSIG asks
the kernel to send a signal when the parent dies: the fork server asks for SIGKILL when the server
dies, each worker when the fork server dies, so `kill -9` of the server takes the whole tree down.
The signal follows the parent *thread* that forked: the fork server is started from the thread that
builds the executor (the main thread in `alliance-kg serve`).

Elsewhere than Linux `available()` is False and processes rely on multiprocessing's own pipes.
"""
from __future__ import annotations

import ctypes
import os
import platform
import signal

_PR_SET_PDEATHSIG = 1
# the server's pid, read by the fork server at start (its parent may already be gone by then)
PARENT_VARIABLE = "ALLIANCEKG_LIFELINE_PARENT"

# set in the fork server at start; workers forked from it inherit the value
fork_server_pid: int | None = None


def available() -> bool:
    return platform.system() == "Linux"


def die_with_parent(expected_parent: int | None) -> None:
    """SIGKILL this process when its parent dies; exit now if the parent is already gone."""
    if not available():
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)  # the parent died before the request above: nobody will send the signal


def in_fork_server() -> None:
    """Called once, as the fork server imports its preloaded modules."""
    global fork_server_pid
    fork_server_pid = os.getpid()
    parent = os.environ.get(PARENT_VARIABLE)
    die_with_parent(int(parent) if parent else None)


def in_worker() -> None:
    """A query worker's first act: die with the fork server, and let SIGTERM kill at once.

    A Python SIGTERM handler (the fork server passes on the server's) cannot run while Oxigraph
    evaluates. The worker holds only a read-only store, so the default action (immediate death) loses
    nothing."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(fork_server_pid)
