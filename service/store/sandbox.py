"""The second wall against fetching: a thread that may not open an Internet socket.

The first wall (safety.py) refuses SERVICE and LOAD on the parsed query. Should a parser ever disagree
with the engine's, Oxigraph would still fetch; so the code that runs queries and updates does it in a
thread under a seccomp filter that makes socket(AF_INET) and socket(AF_INET6) fail with EACCES. A
seccomp filter installed with prctl binds the calling thread and the threads it starts, nothing else:
the server's own threads keep their network. Unix sockets stay allowed (nothing fetches through them).

Linux on x86-64 or arm64 only; elsewhere `available()` is False and the service says so at start-up.
"""
from __future__ import annotations

import ctypes
import errno
import platform
import struct
import threading
from typing import Callable, TypeVar

T = TypeVar("T")

_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_AF_INET, _AF_INET6 = 2, 10
# (audit architecture, number of the socket syscall)
_ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}

_LD_W_ABS, _JEQ_K, _RET_K = 0x20, 0x15, 0x06


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def available() -> bool:
    return platform.system() == "Linux" and platform.machine() in _ARCHES


def _program() -> bytes:
    arch, socket_nr = _ARCHES[platform.machine()]

    def op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:  # jumps count from the next one
        return struct.pack("HBBI", code, jt, jf, k)

    return b"".join([
        op(_LD_W_ABS, 4),                         # 0: seccomp_data.arch
        op(_JEQ_K, arch, 0, 5),                   # 1: another ABI: not ours to judge, go to 7
        op(_LD_W_ABS, 0),                         # 2: seccomp_data.nr
        op(_JEQ_K, socket_nr, 0, 3),              # 3: not socket(): go to 7
        op(_LD_W_ABS, 16),                        # 4: socket's first argument, the address family
        op(_JEQ_K, _AF_INET, 2, 0),               # 5: IPv4: go to 8
        op(_JEQ_K, _AF_INET6, 1, 0),              # 6: IPv6: go to 8
        op(_RET_K, _RET_ALLOW),                   # 7
        op(_RET_K, _RET_ERRNO | errno.EACCES),    # 8
    ])


def deny_network_in_this_thread() -> None:
    """From now on this thread (and any it starts) cannot open an IPv4 or IPv6 socket. Irreversible."""
    if not available():
        raise OSError(f"the network sandbox needs Linux on x86-64 or arm64, not {platform.system()} "
                      f"on {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    code = _program()
    buffer = ctypes.create_string_buffer(code, len(code))
    program = _SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def run_without_network(function: Callable[[], T]) -> T:
    """`function()` in a new thread that cannot open an Internet socket; its result or its exception."""
    outcome: list = []

    def body():
        try:
            deny_network_in_this_thread()
            outcome.append((True, function()))
        except BaseException as failure:  # handed back to the caller's thread
            outcome.append((False, failure))

    thread = threading.Thread(target=body, name="alliance-kg-no-network")
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
