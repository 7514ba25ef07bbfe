"""What a store, a query or a write answers when it fails: an HTTP status and a message for the client."""
from __future__ import annotations

import re
import signal

import pyoxigraph as ox


class QueryAborted(Exception):
    """The query was stopped before it answered (503)."""


class QueryBusy(QueryAborted):
    """Every query slot is taken: refused at once rather than holding a request thread (503)."""


class QueryTimeout(QueryAborted):
    """The query ran past the limit; its worker process was killed."""


class EngineFailure(QueryAborted):
    """The engine failed on the query and ended its worker (a panic in Oxigraph's Rust code): 500, as
    the same query fails again."""


def over_memory_message(memory_mb: int | None) -> str:
    return (f"The query needed more than {memory_mb} MB, a query worker's memory cap "
            "(ALLIANCE_KG_WORKER_MEMORY_MB), and was stopped; narrow it (LIMIT, shorter values) and try again.")


def why_it_died(exitcode: int | None, last_words: str, memory_mb: int | None) -> QueryAborted:
    """The error for a query whose worker died under it, from how it ended and what it last wrote."""
    panic = re.search(r"panicked at [^\n]*:\n([^\n]+)", last_words)
    if panic and "memory allocation of" not in last_words:
        message = panic.group(1).strip()
        hint = (" ORDER BY over a mix of blank nodes, IRIs and literals is a known cause: order by an"
                " expression of one kind (STR(?x), isBlank(?x)) or filter the terms first."
                if "total order" in message else "")
        return EngineFailure(f"The query engine (Oxigraph {ox.__version__}) failed on this query: {message}. "
                             f"The same query will fail again as written.{hint}")
    if memory_mb and exitcode == -signal.SIGABRT:  # how the engine meets the cap
        return QueryAborted(over_memory_message(memory_mb))
    return QueryAborted("The process answering the query stopped (out of memory?); "
                        "narrow the query and try again.")


class WriteRefused(Exception):
    """A write that was not applied: the HTTP status, a message, and for the guard its report."""

    def __init__(self, status: int, message: str, report: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.report = status, message, report


class StoreFailure(Exception):
    """The store behind the service failed a request (502: it refused; 503: unreachable; 504: too slow)."""
    status = 502
