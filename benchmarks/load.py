"""Load run: concurrent SPARQLWrapper clients mix the queries/ suite against a local server for a fixed time.

Starts `alliance-kg serve` (waitress) on a free loopback port in a subprocess, waits for /health, then for
each client count runs that many client threads for --seconds each, and prints throughput, p50/p99
latency, errors and the server's resident memory (with its worker processes) before and after. Loopback only; bounded in time.

    .venv/bin/python benchmarks/load.py                      # 1, 4 and 16 clients, 20 s each
    .venv/bin/python benchmarks/load.py --clients 16 --seconds 5 --json

Exit status 1 if any request failed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from SPARQLWrapper import JSON, POST, GET, TURTLE, SPARQLWrapper

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Phase:
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    throughput: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    error_samples: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants (query workers, where the service forks them), in MB."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent == frontier[-1]]
        frontier.pop()
        tree.update(children)
        frontier.extend(children)
    total_kb = 0
    for member in tree:
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        total_kb += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total_kb / 1024


def start_server(port: int, threads: int, log) -> subprocess.Popen:
    """The server in a subprocess, its log going to a file: a pipe nobody reads would fill up with
    waitress's queue-depth warnings and stall every worker thread on the logging lock."""
    command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--threads", str(threads)]
    server = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server exited with {server.returncode}: {log.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not answer /health within 120 s")


def without_comment_lines(query: str) -> str:
    """The query without its # header: SPARQLWrapper reads words of comments ("create", "clear") as the
    query's type, takes a SELECT for an update and refuses to send it by GET."""
    return "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))


def client(endpoint: str, queries: list[str], seed: int, until: float, latencies: list, errors: list) -> None:
    """One client: the suite in its own shuffled order, GET and POST alternately, until the deadline."""
    order = random.Random(seed)
    sparql = SPARQLWrapper(endpoint)
    sparql.setTimeout(120)
    turn = 0
    while time.monotonic() < until:
        query = queries[order.randrange(len(queries))]
        sparql.setQuery(query)
        sparql.setMethod(POST if turn % 2 else GET)
        sparql.setReturnFormat(TURTLE if sparql.queryType in ("CONSTRUCT", "DESCRIBE") else JSON)
        turn += 1
        started = time.perf_counter()
        try:
            answer = sparql.query()
            answer.response.read()
            if answer.response.status != 200:
                raise RuntimeError(f"HTTP {answer.response.status}")
            latencies.append(time.perf_counter() - started)
        except Exception as failure:  # every failure is counted and sampled, whatever its kind
            errors.append(f"{type(failure).__name__}: {str(failure)[:200]}")


def run_phase(endpoint: str, pid: int, queries: list[str], clients: int, seconds: float) -> Phase:
    phase = Phase(clients, seconds, rss_before_mb=round(rss_mb(pid), 1))
    latencies: list[float] = []
    errors: list[str] = []
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(endpoint, queries, seed, until, latencies, errors))
               for seed in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    phase.requests, phase.errors = len(latencies) + len(errors), len(errors)
    phase.throughput = round(len(latencies) / elapsed, 1)
    if latencies:
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        phase.p50_ms, phase.p99_ms = round(cuts[49] * 1000, 1), round(cuts[98] * 1000, 1)
    phase.rss_after_mb = round(rss_mb(pid), 1)
    phase.error_samples = sorted(set(errors))[:5]
    return phase


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16], help="client counts, one phase each")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase (default 20)")
    parser.add_argument("--threads", type=int, default=8, help="server worker threads (default 8)")
    parser.add_argument("--queries", type=Path, default=PROJECT_ROOT / "queries", help="folder of .rq files")
    parser.add_argument("--json", action="store_true", help="print the phases as one JSON line")
    args = parser.parse_args(argv)
    queries = [without_comment_lines(p.read_text()) for p in sorted(args.queries.glob("*.rq"))]
    if not queries:
        parser.error(f"no .rq files in {args.queries}")

    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = start_server(port, args.threads, log)
        try:
            endpoint = f"http://127.0.0.1:{port}/sparql"
            phases = [run_phase(endpoint, server.pid, queries, clients, args.seconds) for clients in args.clients]
        finally:
            server.terminate()
            server.wait(timeout=30)

    if args.json:
        print(json.dumps([asdict(p) for p in phases]))
    else:
        print(f"{len(queries)} queries from {args.queries}, {args.seconds:g} s a phase, server threads {args.threads}, "
              f"pid {server.pid}, {os.cpu_count()} CPUs")
        print(f"{'clients':>7} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
              f"{'RSS before MB':>14} {'RSS after MB':>13}")
        for p in phases:
            print(f"{p.clients:>7} {p.requests:>9} {p.throughput:>8} {p.p50_ms:>8} {p.p99_ms:>8} {p.errors:>7} "
                  f"{p.rss_before_mb:>14} {p.rss_after_mb:>13}")
            for sample in p.error_samples:
                print(f"        error: {sample}")
    return 1 if any(p.errors for p in phases) else 0


if __name__ == "__main__":
    sys.exit(main())
