"""Where a short query's time goes, stage by stage, on the shipped graph (about a minute).

    .venv/bin/python -m benchmarks.request_path [--repeat 300] [--queries REGEX] [--idle MS]

For `ASK {}`, a small SELECT (10 rows) and the queries of queries/ and benchmarks/queries/ whose name
matches `--queries` it prints the median of: the engine alone (pyoxigraph in memory, the answer
serialised as `benchmarks.reads` times it: SPARQL JSON, or Turtle for a graph), `answers.answer` in
this process (format negotiation, the row-limited serialisation), the safety check, the hop to a
query worker and back (`ProcessExecutor.run`), the Flask application without a socket (test client:
the request parsed, the checks, the worker, the response), and the whole request over HTTP through
waitress with a kept-alive connection, from `requests` and from `http.client` (as
`benchmarks/reads.py` sends it). `--idle MS` sleeps that long before each timed run: a process that
has slept takes longer to wake (the worker, the server's threads), which is what a request meets when
it comes alone rather than in a tight loop. `--after NAME` runs that saved query before each timed run,
untimed, in memory and over HTTP (as `benchmarks.reads` runs the query before it in a round): a query
that touches much of the graph leaves every process's caches cold for the next one.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import threading
import time
import urllib.parse

import requests

from benchmarks.reads import in_memory
from benchmarks.service_overheads import median_ms

QUERIES = {
    "ASK {}": "ASK {}",
    "10 states": "SELECT ?s WHERE { ?s a <https://w3id.org/alliance-kg/ontology#State> } LIMIT 10",
}
JSON = "application/sparql-results+json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--queries", help="also these queries of queries/ and benchmarks/queries/ (a regex)")
    parser.add_argument("--idle", type=float, default=0, help="milliseconds to sleep before each timed run")
    parser.add_argument("--after", metavar="NAME", help="a saved query to run, untimed, before each timed run")
    options = parser.parse_args()
    queries = dict(QUERIES)
    from benchmarks.run import queries as saved
    if options.queries:
        queries.update(saved(options.queries))
    after = None
    if options.after:
        after = saved(f"^{re.escape(options.after)}$").get(options.after)
        if after is None:
            parser.error(f"--after {options.after}: no saved query of that name in queries/ or benchmarks/queries/")

    from service import create_app
    from service.graph import knowledge_graph
    from service.config import load_config
    from service.store import safety
    from service.store.answers import QueryRequest, answer
    from service.web.serving import create_server

    store, _ = knowledge_graph.build(load_config())
    app = create_app({"TESTING": True}, store=store)
    executor = app.extensions["alliance_kg.executor"]
    executor.wait_ready()
    server = create_server(app, app.config, host="127.0.0.1", port=0)  # waitress as `alliance-kg serve` sets it
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.effective_port}/sparql"
    session, client = requests.Session(), app.test_client()
    kept_alive = KeptAlive(server.effective_port)
    try:
        before = None
        if after is not None:
            def before():
                in_memory(store._store, after)
                kept_alive.post(after)
        print(f"load average {os.getloadavg()[0]:.2f}; medians of {options.repeat}, ms; idle {options.idle:g} ms"
              + (f"; after {options.after}" if after else ""))
        print("| stage | " + " | ".join(queries) + " |\n|---|" + "---|" * len(queries))
        rows: dict[str, list[float]] = {}
        for text in queries.values():
            request = QueryRequest(text, accept=JSON)
            stages = {
                "engine alone (pyoxigraph, serialised)": lambda: in_memory(store._store, text),
                "answers.answer in process": lambda: answer(store, request),
                "safety.check": lambda: safety.check(text, frozenset()),
                "ProcessExecutor.run (worker hop)": lambda: executor.run(request),
                "Flask app, no socket": lambda: client.post("/sparql", data={"query": text},
                                                            headers={"Accept": JSON}),
                "HTTP through waitress, requests": lambda: session.post(
                    url, data={"query": text}, headers={"Accept": JSON}).raise_for_status(),
                "HTTP through waitress, http.client": lambda: kept_alive.post(text),
            }
            for stage, run in stages.items():
                rows.setdefault(stage, []).append(timed_ms(run, options.repeat, options.idle, before))
        for stage, values in rows.items():
            print(f"| {stage} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        server.close()
        app.extensions["alliance_kg.close"]()


class KeptAlive:
    """The standard library's client on one kept-alive connection: what the service costs without a
    client library's own time (requests spends about 0.65 ms a request)."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)

    def post(self, text: str) -> bytes:
        self.connection.request("POST", "/sparql", urllib.parse.urlencode({"query": text}),
                                {"Accept": JSON, "Content-Type": "application/x-www-form-urlencoded"})
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {body[:200]!r}")
        return body


def timed_ms(run, repeat: int, idle_ms: float, before=None) -> float:
    """The median of `repeat` runs in milliseconds, each after `before()` and a sleep of `idle_ms`, untimed."""
    if not idle_ms and before is None:
        return median_ms(run, repeat)
    for _ in range(min(20, repeat)):
        run()
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        if idle_ms:
            time.sleep(idle_ms / 1000)
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


if __name__ == "__main__":
    main()
