"""Large answers: time and peak memory against the answer's size, the service over HTTP beside pyoxigraph in memory.

    .venv/bin/python -m benchmarks.large_answers [--times 1 2 4 8] [--format json] [--baseline DIR]

Serves the shipped graph with `alliance-kg serve` (the row, byte and time limits raised out of the
way), then asks `SELECT ?s ?p ?o ?i WHERE { ?s ?p ?o VALUES ?i { 1 .. n } }` for each n of `--times`
(n times the graph's 98k quads as rows), reading the answer in parts and counting it (the client holds
none of it). While it runs, the resident memory of the server process and of each of its query workers
is sampled every 10 ms; printed are the peaks and their growth over the same processes' memory just
before the query. "In memory" is pyoxigraph in this process serialising the same answer to bytes, and
the growth of this process's memory while it does. `--baseline DIR` serves another checkout side by
side (`git archive COMMIT | tar -x -C DIR`), each size asked of both in turn.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import psutil
import pyoxigraph as ox
import requests

from benchmarks.reads import build_graph, serve

FORMATS = {"json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
           "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
           "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML)}
ROOMY = {"ALLIANCE_KG_MAX_RESULT_ROWS": "100000000", "ALLIANCE_KG_MAX_RESULT_BYTES": "100000000000",
         "ALLIANCE_KG_QUERY_TIMEOUT": "600", "ALLIANCE_KG_WORKER_MEMORY_MB": "16384"}


def query(times: int) -> str:
    values = " ".join(str(i) for i in range(1, times + 1))
    return f"SELECT ?s ?p ?o ?i WHERE {{ ?s ?p ?o VALUES ?i {{ {values} }} }}"


class Peaks:
    """The largest resident memory of a process (and, separately, of its descendants) while running."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.server = self.workers = 0
        self.server_before = self.process.memory_info().rss
        self.workers_before = max(self._children().values(), default=0)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _children(self) -> dict[int, int]:
        """The query workers: forked by the fork server, so the server's grandchildren."""
        found = {}
        for child in self.process.children():
            try:
                for worker in child.children():
                    found[worker.pid] = worker.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return found

    def _watch(self) -> None:
        while not self._done.wait(0.01):
            try:
                self.server = max(self.server, self.process.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            self.workers = max([self.workers, *self._children().values()])

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()


def over_http(engine, text: str, media_type: str) -> tuple[float, int, Peaks]:
    with Peaks(engine.process.pid) as peaks:
        started = time.perf_counter()
        size = 0
        with requests.post(engine.sparql_url, data={"query": text}, headers={"Accept": media_type},
                           stream=True, timeout=900) as response:
            response.raise_for_status()
            for part in response.iter_content(1 << 16):
                size += len(part)
        seconds = time.perf_counter() - started
    return seconds, size, peaks


def in_memory(store: ox.Store, text: str, fmt) -> tuple[float, int, int]:
    me = psutil.Process()
    before, peak, done = me.memory_info().rss, [0], threading.Event()

    def watch():
        while not done.wait(0.01):
            peak[0] = max(peak[0], me.memory_info().rss)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    body = store.query(text, use_default_graph_as_union=True).serialize(format=fmt)
    seconds = time.perf_counter() - started
    peak[0] = max(peak[0], me.memory_info().rss)
    done.set()
    watcher.join()
    size = len(body)
    del body
    return seconds, size, peak[0] - before


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--format", choices=sorted(FORMATS), default="json")
    parser.add_argument("--baseline", type=Path, help="another checkout, served side by side (the 'before')")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/alliance-kg-large-answers"))
    args = parser.parse_args(argv)

    from service.config import PROJECT_ROOT
    media_type, fmt = FORMATS[args.format]
    store, _ = build_graph(None, args.workdir)
    os.environ.update(ROOMY)
    checkouts = {"service": PROJECT_ROOT}
    if args.baseline:
        checkouts["baseline"] = args.baseline.resolve()
    engines = {}
    try:
        for name, checkout in checkouts.items():
            engines[name] = serve(checkout, None, args.workdir / f"{name}.log", 900)
        MB = 2**20
        print(f"{len(store)} quads; {media_type}; load average {os.getloadavg()[0]:.2f}")
        print("| rows | answer MB | engine | time s | server peak MB (growth) | worker peak MB (growth) |")
        print("|---|---|---|---|---|---|")
        for times in args.times:
            text = query(times)
            for name, engine in engines.items():
                over_http(engine, "SELECT * WHERE { ?s ?p ?o } LIMIT 10", media_type)  # a worker up and warm
                seconds, size, peaks = over_http(engine, text, media_type)
                print(f"| {times * len(store):,} | {size / MB:.0f} | {name} | {seconds:.2f} | "
                      f"{peaks.server / MB:.0f} ({(peaks.server - peaks.server_before) / MB:+.0f}) | "
                      f"{peaks.workers / MB:.0f} ({(peaks.workers - peaks.workers_before) / MB:+.0f}) |", flush=True)
            seconds, size, grown = in_memory(store._store, text, fmt)
            print(f"| {times * len(store):,} | {size / MB:.0f} | pyoxigraph in memory | {seconds:.2f} | "
                  f"(this process {grown / MB:+.0f}) | |", flush=True)
        print(f"load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    finally:
        for engine in engines.values():
            engine.stop()


if __name__ == "__main__":
    main()
