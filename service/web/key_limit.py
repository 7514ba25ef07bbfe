"""Guessing the write key is slowed: each client address may fail the key a few times, then waits.

A token bucket per address: FAILURES_BURST wrong keys at once, then one more every
SECONDS_PER_FAILURE; while the bucket is empty every write from that address gets 429 with
Retry-After, before its key is even compared. Behind a reverse proxy every client has the proxy's
address unless the proxy's X-Forwarded-For is trusted (README, Security and limits).
"""
from __future__ import annotations

import math
import threading
import time

from flask import current_app, request

from service.graph.writes import WriteRefused, authorise

FAILURES_BURST = 30
SECONDS_PER_FAILURE = 6.0
MAX_ADDRESSES = 10_000  # buckets kept; full ones are forgotten first


class FailedKeyLimit:
    def __init__(self, burst: int = FAILURES_BURST, seconds_per_token: float = SECONDS_PER_FAILURE):
        self.burst, self.seconds_per_token = burst, seconds_per_token
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when counted)
        self._lock = threading.Lock()

    def _tokens(self, address: str, now: float) -> float:
        tokens, when = self._buckets.get(address, (self.burst, now))
        return min(self.burst, tokens + (now - when) / self.seconds_per_token)

    def wait_seconds(self, address: str) -> int:
        """0 when this address may try a key now, else the whole seconds until it may."""
        with self._lock:
            tokens = self._tokens(address, time.monotonic())
        return 0 if tokens >= 1 else math.ceil((1 - tokens) * self.seconds_per_token)

    def failed(self, address: str) -> None:
        with self._lock:
            now = time.monotonic()
            if len(self._buckets) >= MAX_ADDRESSES:
                self._buckets = {a: v for a, v in self._buckets.items() if self._tokens(a, now) < self.burst}
            self._buckets[address] = (max(0.0, self._tokens(address, now) - 1), now)


def authorise_request() -> None:
    """authorise() for the current request, with failed keys limited per client address."""
    limit = current_app.extensions.setdefault("alliance_kg.key_limit", FailedKeyLimit())
    address = request.remote_addr or "unknown"
    wait = limit.wait_seconds(address)
    if wait:
        refusal = WriteRefused(429, f"Too many writes with a wrong key from {address}; try again in {wait} s.")
        refusal.retry_after = wait
        raise refusal
    try:
        authorise(current_app.config.get("WRITE_KEY"), request.headers.get("Authorization"))
    except WriteRefused as refusal:
        if refusal.status == 401:
            limit.failed(address)
        raise
