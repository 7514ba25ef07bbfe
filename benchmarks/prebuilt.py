"""Raw engine against the service over HTTP on a graph already reasoned (a union N-Triples file).

`benchmarks.run` writes `WORKDIR/SIZE/union.nt` (asserted + entailed triples). When the full run is
too long for the machine (at 1M triples the service's start-up reasons again), this compares the two
engines alone: pyoxigraph in this process, and the same Flask application (create_app with the store
handed in, waitress, as many request threads as benchmarks.run gives it) in a child process holding its
own in-memory copy.

    python -m benchmarks.prebuilt /tmp/alliance-kg-bench/1M/union.nt --label 1M
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from service import iris
from service.store.oxigraph import OxigraphStore

from benchmarks import run
from benchmarks.measure import rss_of


def load(union_file: Path) -> OxigraphStore:
    store = OxigraphStore()
    store._store.bulk_load(path=str(union_file), format=ox.RdfFormat.N_TRIPLES,
                           to_graph=ox.NamedNode(iris.data_graph("union")))
    return store


def serve(union_file: Path, port: int) -> None:
    import waitress

    from service import create_app
    from service.config import load_config
    app = create_app({}, store=load(union_file))
    waitress.serve(app, host="127.0.0.1", port=port, threads=load_config()["THREADS"], ident="alliance-kg")


def compare(union_file: Path, label: str, settings: run.Settings, out=print) -> dict:
    texts = run.queries(settings.only)
    gc.collect()
    before = rss_of()
    started = time.perf_counter()
    store = load(union_file)
    raw = run.EngineReport("oxigraph", load_seconds=time.perf_counter() - started)
    raw.rss_mb = (rss_of() - before) / 2**20
    out(f"   oxigraph: {len(store)} triples loaded in {raw.load_seconds:.2f} s, +{raw.rss_mb:.0f} MB")

    def ox_run(text):
        def go(_cap=None):
            result = store.query(text)
            if result.kind == "bindings":
                return sum(1 for _ in result.rows())
            return int(bool(result)) if result.kind == "boolean" else sum(1 for _ in result.triples())
        return go

    for name, text in texts.items():
        raw.queries[name] = run.time_query(ox_run(text), settings.budget, settings.repeat)
    fast = [texts[n] for n, t in raw.queries.items() if t.p50 is not None and t.p50 < 0.05]
    for clients in settings.clients:
        raw.throughput[clients] = run.throughput(lambda q: ox_run(q)(), fast, clients, settings.throughput_seconds)
    out("   oxigraph: queries timed")
    del store
    gc.collect()

    port = run.free_port()
    engine = run.HttpEngine.local(port, [sys.executable, "-m", "benchmarks.prebuilt", str(union_file), "--serve",
                                         str(port)],
                                  dict(os.environ, ALLIANCE_KG_THREADS=str(max(settings.clients) + 4)),
                                  union_file.parent / "prebuilt-service.log")  # threads: as benchmarks.run
    http = run.EngineReport("service", note="create_app(store=...) under waitress, graph pre-reasoned")
    try:
        http.load_seconds = engine.start(timeout=1800)
        http.rss_mb = engine.rss_mb()
        out(f"   service: ready in {http.load_seconds:.2f} s, {http.rss_mb:.0f} MB")
        for name, text in texts.items():
            timing = run.time_query(lambda cap=None, t=text: engine.query(t, cap), settings.budget, settings.repeat,
                                    settings.cap)
            http.queries[name] = timing
        fast_http = [texts[n] for n, t in http.queries.items() if t.p50 is not None and t.p50 < 0.05
                     and texts[n] in fast]
        for clients in settings.clients:
            http.throughput[clients] = run.throughput(engine.query, fast_http, clients, settings.throughput_seconds)
        http.rss_mb = max(http.rss_mb, engine.rss_mb())
    finally:
        engine.stop()
    total = sum(1 for _ in union_file.open("rb"))
    return {"size": label, "synthetic_triples": None, "asserted_triples": None, "entailed_triples": 0,
            "total_triples": total, "engines": {"oxigraph": run._as_dict(raw), "service": run._as_dict(http)}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("union", type=Path)
    parser.add_argument("--serve", type=int, help="(internal) serve the file on this port")
    parser.add_argument("--label", default="prebuilt")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget", type=float, default=4.0)
    parser.add_argument("--cap", type=float, default=60.0)
    parser.add_argument("--throughput-seconds", type=float, default=5.0)
    parser.add_argument("--queries", dest="only")
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.union, args.serve)
        return
    settings = run.Settings(("oxigraph", "service"), args.repeat, args.budget, args.cap, args.throughput_seconds,
                            (1, 4, 16), args.union.parent, 0, False, args.only)
    result = compare(args.union, args.label, settings)
    (args.union.parent / f"prebuilt-{args.label}.json").write_text(json.dumps(result, indent=1))
    table = run.markdown(result, args.cap)
    (args.union.parent / f"prebuilt-{args.label}.md").write_text(table)
    print(table, flush=True)


if __name__ == "__main__":
    main()
