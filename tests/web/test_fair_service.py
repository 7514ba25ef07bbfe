"""Fair service: slow clients are cut off and cannot hold every connection; /health and /metrics answer
within a second while every query worker is busy; /check runs once per generation, whoever asks."""
from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from service.web.serving import create_server

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
HEADER_TIMEOUT = 2


@pytest.fixture(scope="module")
def fair(shipped):
    from service import create_app
    app = create_app({"TESTING": True, "QUERY_WORKERS": 1, "THREADS": 4, "QUERY_TIMEOUT": 4,
                      "CONNECTION_LIMIT": 20, "HEADER_TIMEOUT": HEADER_TIMEOUT}, store=shipped[0])
    server = create_server(app, app.config, host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    yield app, f"http://127.0.0.1:{server.effective_port}"
    server.close()
    app.extensions["alliance_kg.close"]()


def timed_get(url: str, **kwargs) -> tuple[requests.Response, float]:
    started = time.perf_counter()
    response = requests.get(url, timeout=30, **kwargs)
    return response, time.perf_counter() - started


def test_slow_clients_are_cut_off_and_do_not_exhaust_the_connection_limit(fair):
    _app, url = fair
    port = int(url.rsplit(":", 1)[1])
    slow = []
    for _ in range(30):  # more than the connection limit of 20
        sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        slow.append(sock)
    stop = threading.Event()

    def trickle():  # a header byte every 0.3 s: never idle, never done
        while not stop.wait(0.3):
            for sock in slow:
                try:
                    sock.sendall(b"X")
                except OSError:
                    pass

    threading.Thread(target=trickle, daemon=True).start()
    try:
        response, seconds = timed_get(f"{url}/health")
        assert response.status_code == 200 and response.json()["status"] == "ok"
        assert seconds < HEADER_TIMEOUT + 3, f"/health took {seconds:.1f} s behind 30 slow clients"
        closed = 0
        for sock in slow:
            sock.settimeout(HEADER_TIMEOUT + 3)
            try:
                closed += sock.recv(100) == b""
            except (ConnectionResetError, BrokenPipeError):
                closed += 1
        assert closed == len(slow), f"{len(slow) - closed} slow clients still connected"
        print(f"/health behind 30 slow clients: {seconds:.2f} s")
    finally:
        stop.set()
        for sock in slow:
            sock.close()


def test_health_and_metrics_answer_within_a_second_while_every_worker_is_busy(fair):
    app, url = fair
    with ThreadPoolExecutor(6) as pool:
        heavy = [pool.submit(timed_get, f"{url}/sparql", params={"query": HEAVY}) for _ in range(5)]
        time.sleep(0.5)
        checks = [timed_get(f"{url}/health"), timed_get(f"{url}/metrics"), timed_get(f"{url}/health")]
        answers = [f.result() for f in heavy]
    for response, seconds in checks:
        assert response.status_code == 200 and seconds < 1, f"{response.url}: {seconds:.2f} s"
    slots = app.config["QUERY_SLOTS"]
    busy = [(r, s) for r, s in answers if "queries, its limit" in r.text]
    assert len(busy) == 5 - slots  # refused at once, with when to come back ...
    assert all(r.status_code == 503 and r.headers["Retry-After"] == "5" and s < 1 for r, s in busy)
    # ... and the others ran into the time limit
    assert all(r.status_code == 503 and "limit" in r.text for r, _ in answers)
    print(f"/health, /metrics with every worker busy: {[round(s, 3) for _, s in checks]} s")


def test_check_runs_once_per_generation_whoever_asks(fair, monkeypatch):
    from service.reasoning import check as check_module
    from service.web import reports
    app, url = fair
    app.extensions.pop("alliance_kg.check_report", None)
    runs = []

    class Report:
        def as_dict(self):
            return {"ok": True, "run": len(runs)}

    def slow_check(store, shapes):
        runs.append(time.monotonic())
        time.sleep(3)
        return Report()

    monkeypatch.setattr(check_module, "check_store", slow_check)
    with ThreadPoolExecutor(8) as pool:
        asked = [pool.submit(timed_get, f"{url}/check") for _ in range(8)]
        time.sleep(0.5)
        health = [timed_get(f"{url}/health") for _ in range(3)]
        answers = [f.result() for f in asked]
    assert len(runs) == 1
    ok = [r for r, _ in answers if r.status_code == 200]
    assert 1 <= len(ok) <= reports.CHECK_WAITERS and all(r.json() == {"ok": True, "run": 1} for r in ok)
    refused = [(r, s) for r, s in answers if r.status_code != 200]
    assert all(r.status_code == 503 and r.headers["Retry-After"] == "30" and s < 1 for r, s in refused)
    assert all(r.status_code == 200 and s < 1 for r, s in health), [s for _, s in health]
    again, seconds = timed_get(f"{url}/check")
    assert again.json() == {"ok": True, "run": 1} and seconds < 1 and len(runs) == 1  # from the cache


def test_an_answer_kept_whole_is_sent_from_memory_never_through_a_temporary_file(fair, monkeypatch):
    """waitress spills a response of over 1 MiB to a temporary file by default (4 ms on a 3 MB answer);
    the served answer of `facts-from-sources-beyond-the-paper` (about 3 MB) must not be."""
    from waitress.buffers import OverflowableBuffer
    from service.store.answers import STREAM_ABOVE
    spilled = []
    to_file = OverflowableBuffer._set_large_buffer
    monkeypatch.setattr(OverflowableBuffer, "_set_large_buffer",
                        lambda buffer: (spilled.append(len(buffer)), to_file(buffer))[1])
    app, url = fair
    query = (app.config["QUERIES_DIR"] / "facts-from-sources-beyond-the-paper.rq").read_text()
    response = requests.post(f"{url}/sparql", data={"query": query}, timeout=60,
                             headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text[:300]
    assert 1 << 20 < len(response.content) < STREAM_ABOVE  # over waitress's default, under the parts' size
    assert spilled == [], f"the answer went through a temporary file at {spilled} bytes"
