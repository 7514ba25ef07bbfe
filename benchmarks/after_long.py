"""What the first query after a long one pays, served and in memory, at a generated size (a few minutes).

    .venv/bin/python -m benchmarks.after_long [--size 1M] [--long NAME] [--short NAME] [--repeat 5] [--sleep 5]

`benchmarks.reads` runs each query in memory and then served, query after query, so a short query is
served right after the query before it, long or short. This times the short query over HTTP (`alliance-kg
serve`, one kept-alive `http.client` connection, as `benchmarks.reads` asks) after each of:

- A: itself, served (three times a round): the warm case;
- B: the long query served: the order of `benchmarks.reads`;
- C: the long query in memory, in this process: the server idle as long, the machine's caches swept;
- D: a sleep of `--sleep` seconds: the server and the client idle, nothing swept;
- E: as B, then `ASK {}` on the same connection: every part of the path has just run;
- F: as B, then `GET /health` on another connection: the web server and Flask have just run, the query
  worker has not.

Each time the short query runs in memory and then served, both timed, as `benchmarks.reads` runs a
query; it prints the medians side by side with the target of issue 13 (1.2x + 2 ms). Every condition is
run twice, once against the service and once against the floor (`benchmarks.floor_endpoint`: the same
graph in pyoxigraph behind one Flask view under waitress, in the request thread, nothing else), so that
the one run says what any Flask application under waitress pays here and what the service adds to it.
"""
from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from benchmarks.reads import RESULTS, TARGET_FACTOR, TARGET_MS, build_graph, in_memory_answer, serve, timed
from benchmarks.run import HttpEngine, free_port, queries as saved_queries

CONDITIONS = {
    "A": "after itself, served (warm)",
    "B": "after the long query served (the order of benchmarks.reads)",
    "C": "after the long query in memory (the server idle)",
    "D": "after a sleep (the server and the client idle)",
    "E": "as B, then ASK {} on the same connection",
    "F": "as B, then GET /health on another connection",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M", help="a generated graph of this many synthetic triples; "
                                                     "'shipped' for the shipped graph")
    parser.add_argument("--long", default="indicator-observations", help="the long saved query")
    parser.add_argument("--short", default="indicators-without-observations", help="the short saved query")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (A is timed three times a round)")
    parser.add_argument("--sleep", type=float, default=5.0, help="seconds of D's sleep")
    parser.add_argument("--cap", type=float, default=300, help="seconds an HTTP query may take")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/alliance-kg-reads"))
    args = parser.parse_args(argv)

    texts = saved_queries()  # by name: a regex built from the names would read their characters as patterns
    missing = [name for name in (args.long, args.short) if name not in texts]
    if missing:
        parser.error(f"no saved query named {', '.join(missing)} in queries/ or benchmarks/queries/")
    long_text, short_text = texts[args.long], texts[args.short]

    from service.config import PROJECT_ROOT
    os.environ.setdefault("ALLIANCE_KG_QUERY_TIMEOUT", str(args.cap))  # the long query must not meet the limit
    store, data_dir = build_graph(args.size, args.workdir)
    engines = {"service": serve(PROJECT_ROOT, data_dir, args.workdir / "service.log", 900, "http.client")}
    try:
        engines["floor"] = floor(args.size, args.workdir)

        def get_health(engine: HttpEngine) -> None:  # a new connection each time: a server may close an idle one
            port = urllib.parse.urlsplit(engine.sparql_url).port
            health = http.client.HTTPConnection("127.0.0.1", port)
            health.request("GET", "/health")
            health.getresponse().read()
            health.close()

        def memory(text: str) -> None:  # as benchmarks.reads times it
            in_memory_answer(store._store, text)

        def served(engine: HttpEngine, text: str) -> None:
            engine.answer(text, cap=args.cap, results=RESULTS["json"][0])

        def before(condition: str, engine: HttpEngine) -> None:
            """What comes before the short query (in memory, then served, both timed) under `condition`."""
            if condition == "A":  # the other engine's runs come between: it must be this one's
                served(engine, short_text)
            elif condition == "B":
                served(engine, long_text)
            elif condition == "C":
                memory(long_text)
            elif condition == "D":
                time.sleep(args.sleep)
            elif condition == "E":
                served(engine, long_text)
                served(engine, "ASK {}")
            elif condition == "F":
                served(engine, long_text)
                get_health(engine)

        for engine in engines.values():  # every process has run each path once
            served(engine, long_text)
            served(engine, short_text)
            get_health(engine)
        samples = {(condition, name, where): [] for condition in CONDITIONS for name in engines
                   for where in ("memory", "served")}
        for _ in range(args.repeat):
            for condition in CONDITIONS:
                for name, engine in engines.items():
                    for _ in range(3 if condition == "A" else 1):
                        before(condition, engine)
                        samples[condition, name, "memory"].append(timed(lambda: memory(short_text)))
                        samples[condition, name, "served"].append(timed(lambda: served(engine, short_text)))
    finally:
        for engine in engines.values():
            engine.stop()

    print(f"{args.short} at {args.size}, after {args.long}; medians of {args.repeat} (A: {3 * args.repeat}), ms; "
          f"load average {os.getloadavg()[0]:.2f}; the floor: pyoxigraph behind one Flask view under waitress")
    print("| the short query | floor: in memory / served / target | met | service: in memory / served / target "
          "| met | service, every run |\n|---|---|---|---|---|---|")
    for condition, label in CONDITIONS.items():
        cells = []
        for name in ("floor", "service"):
            in_memory = statistics.median(samples[condition, name, "memory"])
            median = statistics.median(samples[condition, name, "served"])
            target = in_memory * TARGET_FACTOR + TARGET_MS
            cells += [f"{in_memory:.2f} / {median:.2f} / {target:.2f}", "yes" if median <= target else "NO"]
        every = ", ".join(f"{v:.2f}" for v in samples[condition, "service", "served"])
        print(f"| {condition}: {label} | {' | '.join(cells)} | {every} |")


def floor(size: str, workdir: Path) -> HttpEngine:
    """`benchmarks.floor_endpoint` on the same graph, started and ready."""
    from service.config import PROJECT_ROOT
    port = free_port()
    engine = HttpEngine.local(port, [sys.executable, "-m", "benchmarks.floor_endpoint", "--port", str(port),
                                     "--size", size, "--workdir", str(workdir)],
                              dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)), workdir / "floor.log", cwd=PROJECT_ROOT)
    engine.start(900)  # stops its process if it is not ready
    return engine


if __name__ == "__main__":
    main()
