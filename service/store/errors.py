"""What a store or a write answers when it fails: an HTTP status and a message for the client."""
from __future__ import annotations


class WriteRefused(Exception):
    """A write that was not applied: the HTTP status, a message, and for the guard its report."""

    def __init__(self, status: int, message: str, report: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.report = status, message, report


class StoreFailure(Exception):
    """The store behind the service failed a request (502: it refused; 503: unreachable; 504: too slow)."""
    status = 502
