"""Prometheus metrics at /metrics: requests by endpoint and status, latency, query timeouts, errors.

One registry per process (what Prometheus scrapes is a process), holding the process's own
collector too (memory, CPU, open files). `record_timeout()` is for the code that enforces the
query time limit.
"""
from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder

bp = Blueprint("metrics", __name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
REQUESTS = Counter("alliance_kg_http_requests", "HTTP requests answered, by endpoint (the URL rule), method and status.",
                   ["endpoint", "method", "status"], registry=REGISTRY)
LATENCY = Histogram("alliance_kg_http_request_duration_seconds", "Time from request to response, by endpoint.",
                    ["endpoint"], registry=REGISTRY,
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
ERRORS = Counter("alliance_kg_http_errors", "Responses with a status of 400 or more, by status.", ["status"],
                 registry=REGISTRY)
TIMEOUTS = Counter("alliance_kg_query_timeouts", "Queries stopped at the configured time limit.", registry=REGISTRY)

# Any other method name a client sends is counted as "other", so that no client can grow the label set.
METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}


def record_timeout() -> None:
    """Count one query stopped at the time limit."""
    TIMEOUTS.inc()


def init_app(app: Flask) -> None:
    app.before_request(_start_clock)
    app.after_request(_record)
    app.register_blueprint(bp)


def _start_clock() -> None:
    g.metrics_started = time.perf_counter()


def _record(response: Response) -> Response:
    endpoint = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    if response.status_code >= 400:
        ERRORS.labels(str(response.status_code)).inc()
    return response


@bp.route("/metrics")
def metrics() -> Response:
    # The scraper's Accept picks the text format (0.0.4) or OpenMetrics, as prometheus-client's own server does.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(REGISTRY), content_type=content_type)
