"""The 10M-triple measurements, bounded: embedded Oxigraph in process, then Virtuoso's bulk loader.

    .venv/bin/python -m benchmarks.large DATA_DIR --queries REGEX [--virtuoso] [--buffers N]

`benchmarks.run` fills Virtuoso through the service (SPARQL updates of 50,000 triples, then the
entailment rules as SPARQL): 106 s at 100k, far too slow for 10M. Here, instead:

1. embedded: the files streamed into an in-memory pyoxigraph store (as `knowledge_graph.build`
   does), the entailments materialised, the resident memory read, the chosen queries timed in
   process (one warm-up, then up to three runs within `--budget` seconds), and every quad written as
   N-Quads so that Virtuoso gets the same dataset, entailments included;
2. with `--virtuoso`: a throwaway Virtuoso 7 (benchmarks/virtuoso.py) loads that N-Quads file with
   its own bulk loader (`ld_dir` + `rdf_loader_run`, then a checkpoint), and the same queries are
   timed against its SPARQL endpoint over HTTP (no FROM: Virtuoso's default graph is the union of
   its graphs, as the service's is), without the service in front.

Prints one JSON line per stage and per query. Pick queries that pyoxigraph answers in about a second
at 1M: an in-process pyoxigraph query cannot be stopped once started.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path

import requests

from benchmarks.measure import rss_of
from benchmarks.run import JSON_RESULTS, queries


def say(**figures) -> None:
    figures["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}), flush=True)


def timed(run, budget: float) -> list[float]:
    run()  # warm-up
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < 3 and (not times or time.perf_counter() < deadline):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def embedded(data_dir: Path, texts: dict, budget: float, nquads: Path | None) -> None:
    from service.store import bulk_load, loader
    from service.reasoning import entailment
    from service.graph import knowledge_graph
    from service.config import load_config
    from service.store.oxigraph import OxigraphStore

    config = load_config({"DATA_DIR": data_dir})
    started = time.perf_counter()
    store = OxigraphStore()
    bulk_load.stream_files(store, loader.source_files(config["ONTOLOGY_DIR"], config["DATA_DIR"]))
    say(stage="embedded load", asserted=len(store), seconds=time.perf_counter() - started,
        rss_mb=rss_of() / 2**20, peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    report = entailment.materialise(store)
    knowledge_graph.return_freed_memory()
    say(stage="embedded entailment", entailed=report.triples, seconds=report.seconds, rss_mb=rss_of() / 2**20,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if nquads is not None:
        started = time.perf_counter()
        store._store.dump(str(nquads), format=__import__("pyoxigraph").RdfFormat.N_QUADS)
        say(stage="dump N-Quads", seconds=time.perf_counter() - started, bytes=nquads.stat().st_size)
    for name, text in texts.items():
        def run(text=text):
            result = store.query(text)
            for _ in result.rows() if result.kind == "bindings" else result.triples() if result.kind == "graph" else ():
                pass
        times = timed(run, budget)
        say(engine="oxigraph", query=name, p50_ms=statistics.median(times) * 1000, runs=len(times))


def virtuoso(folder: Path, nquads: Path, texts: dict, budget: float, buffers: int, cap: float) -> None:
    from benchmarks.virtuoso import ISQL, Virtuoso

    server = Virtuoso(folder, buffers=buffers).start()
    try:
        link = folder / nquads.name
        link.unlink(missing_ok=True)
        os.link(nquads, link)  # the bulk loader reads only from DirsAllowed
        started = time.perf_counter()
        for statement in (f"ld_dir('{folder}', '{nquads.name}', 'https://w3id.org/alliance-kg/graph/unnamed');",
                          "rdf_loader_run();", "checkpoint;"):
            done = subprocess.run([ISQL, str(server.sql_port), "dba", "dba", f"exec={statement}"],
                                  capture_output=True, text=True, timeout=3600)
            if done.returncode != 0 or "Error" in done.stdout:
                raise RuntimeError(f"{statement}: {done.stdout}{done.stderr}")
        count = requests.get(server.sparql_url, params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), \"https://w3id.org/alliance-kg/\")) }"},
                             headers={"Accept": JSON_RESULTS}, timeout=600).json()
        say(stage="virtuoso bulk load", seconds=time.perf_counter() - started,
            quads=int(count["results"]["bindings"][0]["n"]["value"]), virtuoso_rss_mb=server.rss_bytes() / 2**20)
        session = requests.Session()
        for name, text in texts.items():
            def run(text=text):
                response = session.post(server.sparql_url, data={"query": text}, timeout=cap,
                                        headers={"Accept": f"{JSON_RESULTS}, text/turtle;q=0.5"})
                response.raise_for_status()
            try:
                times = timed(run, budget)
                say(engine="virtuoso", query=name, p50_ms=statistics.median(times) * 1000, runs=len(times))
            except requests.RequestException as error:
                say(engine="virtuoso", query=name, error=str(error)[:200])
        say(stage="virtuoso after queries", virtuoso_rss_mb=server.rss_bytes() / 2**20)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--queries", dest="only", required=True, help="regex of the queries to time")
    parser.add_argument("--budget", type=float, default=10.0)
    parser.add_argument("--cap", type=float, default=120.0, help="per-query limit on Virtuoso (HTTP)")
    parser.add_argument("--virtuoso", action="store_true")
    parser.add_argument("--buffers", type=int, default=400_000, help="Virtuoso's 8 kB pages (400,000: 3.1 GB)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/alliance-kg-large"))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    texts = queries(args.only)
    nquads = args.workdir / "all.nq" if args.virtuoso else None
    embedded(args.data_dir, texts, args.budget, nquads)
    if args.virtuoso:
        virtuoso(args.workdir / "virtuoso", nquads, texts, args.budget, args.buffers, args.cap)


if __name__ == "__main__":
    main()
