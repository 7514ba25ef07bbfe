"""Start-up time and memory of `alliance-kg serve`, as a user starts it.

    .venv/bin/python -m benchmarks.startup [--data-dir DIR] [--store DIR] [--runs 3] [--baseline DIR]

Starts the server on a loopback port, times it until a first query (`ASK {}` at /sparql, which needs
a query worker) is answered and then until `/health` answers (`ready_seconds`: it reads the store in
the server process, which on a first start waits for the store to be written to disk), and reads from /proc the
resident memory of the server process (now and at its peak, VmHWM) and of its query worker
processes (and the fork server and resource tracker: now and at their peaks), and the proportional set
size of them all (shared pages counted once); while it starts, it samples the proportional set size
of the server and every process it started five times a second, and reports the largest sum seen
(the machine's peak for the start-up, which no one process's VmHWM shows); then stops it. With `--store DIR` the first run fills the persistent store and the next
ones reopen it (the "reopening a persistent store" figure). Prints one JSON line per run, with the
load average at the time, since the machine these figures come from is shared.

`--baseline DIR` starts a second checkout (say an older commit: `git archive COMMIT | tar -x -C DIR`)
in turn with this one, run after run, so that the load of a shared machine falls on both alike; with
`--store`, each checkout has its own store folder under it.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from benchmarks.run import free_port


def _status(pid: int, field: str) -> float:
    """A /proc/PID/status field in MB (0 if the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def _pss(pid: int) -> float:
    """Proportional set size in MB: pages shared between processes (the workers and their fork server
    share the in-memory graph) counted once overall, split among those sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found + [g for c in found for g in _children(c)]


def _role(pid: int, server: int) -> str:
    """What a process the server started is: its workers are forked from the fork server."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return "gone"
    if parent != server:
        return "worker"
    return "resource tracker" if b"resource_tracker" in command else "fork server" if b"forkserver" in command else "child"


class _TreeSampler(threading.Thread):
    """The largest sum of proportional set sizes over the server and its descendants, every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            total = sum(_pss(p) for p in [self.pid] + _children(self.pid))
            self.peak_mb = max(self.peak_mb, total)


def start_once(env: dict, timeout: float, checkout: Path) -> dict:
    port = free_port()
    command = [str(Path(sys.executable).with_name("alliance-kg")), "serve", "--port", str(port)]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    log = tempfile.TemporaryFile()
    # from the checkout: the fork server is started with `python -c`, which puts the working folder first on the path
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=checkout)
    sampler = _TreeSampler(process.pid)
    sampler.start()
    try:
        while True:  # the first answer to a query: a query worker up, with the graph in memory
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"serve exited: {log.read().decode(errors='replace')[-800:]}")
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"serve not ready within {timeout} s")
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=timeout)
                answer.raise_for_status()
                break
            except requests.ConnectionError:  # not listening yet
                time.sleep(0.05)
        first_answer = time.perf_counter() - started
        # /health reads the store in the server process: on a first start, once RocksDB is written
        requests.get(f"http://127.0.0.1:{port}/health", timeout=timeout).raise_for_status()
        ready = time.perf_counter() - started
        workers = _children(process.pid)
        sampler.stop.set()
        sampler.join()
        log.seek(0)
        said = re.search(rb"ready in ([0-9.]+) s", log.read())  # from its own start, after the imports
        return {"ready_seconds": round(ready, 2), "first_answer_seconds": round(first_answer, 2), "service_says_ready_in": float(said[1]) if said else None, "server_rss_mb": round(_status(process.pid, "VmRSS")),
                "server_peak_mb": round(_status(process.pid, "VmHWM")),
                "workers_rss_mb": [round(_status(w, "VmRSS")) for w in workers],
                "children_peak_mb": {f"{_role(w, process.pid)} {w}": round(_status(w, "VmHWM")) for w in workers},
                "all_processes_pss_peak_mb": round(sampler.peak_mb),
                "all_processes_pss_mb": round(sum(_pss(p) for p in [process.pid] + workers)),
                "load_average_before": round(load, 2), "load_average_after": round(os.getloadavg()[0], 2)}
    finally:
        sampler.stop.set()
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="ALLIANCE_KG_DATA_DIR (default: the shipped data)")
    parser.add_argument("--store", type=Path, help="a persistent store folder: filled by the first run, reopened after")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--baseline", type=Path, help="another checkout, started in turn with this one (the 'before')")
    args = parser.parse_args(argv)
    checkouts = {"this": Path(__file__).resolve().parents[1]}
    if args.baseline:
        checkouts["baseline"] = args.baseline.resolve()
    for run in range(args.runs):
        for name, checkout in checkouts.items():
            env = dict(os.environ, PYTHONPATH=str(checkout))
            if args.data_dir:
                env["ALLIANCE_KG_DATA_DIR"] = str(args.data_dir.resolve())
            store = args.store.resolve() / name if args.store and args.baseline else args.store and args.store.resolve()
            if store:
                env["ALLIANCE_KG_STORE_DIR"] = str(store)
            filled = store is not None and (store / "CURRENT").exists()
            figures = start_once(env, args.timeout, checkout)
            what = "fresh" if not store else ("reopen store" if filled else "fill store")
            print(json.dumps({"run": run + 1, "checkout": name, "what": what, **figures}), flush=True)


if __name__ == "__main__":
    main()
