"""Throughput: concurrent clients over HTTP against pyoxigraph in memory driven by as many threads.

    .venv/bin/python -m benchmarks.throughput [--clients 4 16] [--seconds 10] [--rounds 2] [--size 1M]

Builds the graph in this process (as benchmarks/reads.py does) and starts `alliance-kg serve` on it
with enough request threads for the most clients (ALLIANCE_KG_THREADS = clients + 4, so that no
request is refused for want of a query slot). The mix: every query of queries/ and
benchmarks/queries/ that pyoxigraph answers here in under 50 ms (a heavier one would dominate the
count). At each level N, N threads in this process run the mix against pyoxigraph in memory
(each starting at its own place in the mix, the answer serialised as an endpoint sends it), then N
clients (threads, one kept-alive connection each) run the same mix over HTTP, each for `--seconds`;
the levels alternate in `--rounds` rounds so that the load of a shared machine falls on both alike.
Prints queries per second of each, the ratio (target: HTTP at least 80% of in memory) and the load
average. Any answer other than 200 is counted and printed, not timed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

from benchmarks.reads import build_graph, in_memory, serve, timed
from benchmarks.run import JSON_RESULTS, queries

TARGET = 0.8


def drive(run, texts: list[str], clients: int, seconds: float) -> tuple[float, int]:
    """Queries per second over `clients` threads, each cycling through the mix; and the failures."""
    done, failed = [0] * clients, [0] * clients
    stop = threading.Event()

    def client(index: int) -> None:
        call = run()
        position = index * len(texts) // clients
        while not stop.is_set():
            try:
                call(texts[position % len(texts)])
                done[index] += 1
            except Exception as error:  # noqa: BLE001 -- counted and reported, never silently timed
                failed[index] += 1
                print(f"  {type(error).__name__}: {str(error)[:120]}", file=sys.stderr)
            position += 1

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started), sum(failed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", help="a generated graph of this many synthetic triples; default: the shipped graph")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/alliance-kg-throughput"))
    args = parser.parse_args(argv)

    from service.config import PROJECT_ROOT

    store, data_dir = build_graph(args.size, args.workdir)
    graph = store._store
    mix = []
    for text in queries().values():
        in_memory(graph, text)  # warm-up
        if timed(lambda: in_memory(graph, text)) < 50:
            mix.append(text)
    print(f"{len(store)} quads; a mix of {len(mix)} queries (pyoxigraph under 50 ms)", flush=True)

    os.environ["ALLIANCE_KG_THREADS"] = str(max(args.clients) + 4)
    service = serve(PROJECT_ROOT, data_dir, args.workdir / "service.log", 900)
    url = service.sparql_url

    def over_http():
        session = requests.Session()

        def call(text: str) -> None:
            response = session.post(url, data={"query": text}, timeout=60,
                                    headers={"Accept": f"{JSON_RESULTS}, text/turtle;q=0.5"})
            response.raise_for_status()
        return call

    engines = {"in memory": lambda: (lambda text: in_memory(graph, text)), "over HTTP": over_http}
    rates: dict[tuple[str, int], list[float]] = {}
    loads = []
    try:
        drive(over_http, mix, 2, 2)  # warm-up: every worker has answered the mix once
        for round_ in range(args.rounds):
            for clients in args.clients:
                for name, run in engines.items():
                    rate, failed = drive(run, mix, clients, args.seconds)
                    rates.setdefault((name, clients), []).append(rate)
                    loads.append(os.getloadavg()[0])
                    print(f"round {round_ + 1}, {clients} clients, {name}: {rate:.1f} queries/s"
                          f"{f', {failed} failed' if failed else ''} (load average {loads[-1]:.2f})", flush=True)
    finally:
        service.stop()

    print("\n| clients | pyoxigraph in memory, queries/s | service over HTTP, queries/s | ratio | target 80% |")
    print("|---|---|---|---|---|")
    for clients in args.clients:
        memory = statistics.median(rates["in memory", clients])
        http = statistics.median(rates["over HTTP", clients])
        print(f"| {clients} | {memory:.1f} | {http:.1f} | {http / memory:.0%} | {'met' if http >= TARGET * memory else 'NOT met'} |")
    print(f"load average {min(loads):.2f} to {max(loads):.2f}; median of {args.rounds} rounds of {args.seconds:g} s")


if __name__ == "__main__":
    main()
