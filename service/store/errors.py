"""What a store, a query or a write answers when it fails: an HTTP status and a message for the client."""
from __future__ import annotations


class QueryAborted(Exception):
    """The query was stopped before it answered (503)."""


class QueryBusy(QueryAborted):
    """Every query slot is taken: refused at once rather than holding a request thread (503)."""


class QueryTimeout(QueryAborted):
    """The query ran past the limit; its worker process was killed."""


class EngineFailure(QueryAborted):
    """The engine failed on the query and ended its worker (a panic in Oxigraph's Rust code): 500, as
    the same query fails again."""


class WriteRefused(Exception):
    """A write that was not applied: the HTTP status, a message, and for the guard its report."""

    def __init__(self, status: int, message: str, report: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.report = status, message, report


class StoreFailure(Exception):
    """The store behind the service failed a request (502: it refused; 503: unreachable; 504: too slow)."""
    status = 502
