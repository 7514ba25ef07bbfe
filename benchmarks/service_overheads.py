"""What the service's safety costs, measured on the shipped graph (bounded: about a minute).

    .venv/bin/python benchmarks/service_overheads.py [--no-guard]

Prints: the per-query cost of answering in a worker process instead of in the server process (the
price of a time limit that holds), committing and reopening the on-disk store, the time for the
query workers to come up, and how long a write takes with and without the HermiT + SHACL guard.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time


def median_ms(run, repeat: int = 300) -> float:
    """The median of `repeat` timed runs, in milliseconds, after up to 20 untimed ones."""
    for _ in range(min(20, repeat)):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-guard", action="store_true", help="skip the guarded write (~30 s)")
    options = parser.parse_args()

    from service.graph import knowledge_graph
    from service.config import load_config
    from service.store.execution import ProcessExecutor, QueryRequest, answer
    from service.store.on_disk import PersistentStore
    from service.graph.writes import Writer

    config = load_config()
    store, _ = knowledge_graph.build(config)
    folder = tempfile.mkdtemp(prefix="alliance-kg-bench-")
    persistent = PersistentStore(folder)
    started = time.perf_counter()
    persistent.commit(store.quads(), store.graphs())
    print(f"commit of {len(store)} quads as a new generation: {time.perf_counter() - started:.2f} s")
    persistent.close()
    started = time.perf_counter()
    persistent = reopened = PersistentStore(folder)
    print(f"reopen of the store: {(time.perf_counter() - started) * 1000:.0f} ms ({len(reopened)} quads)")

    started = time.perf_counter()
    executor = ProcessExecutor(persistent.directory, workers=2, timeout=30)
    executor.wait_ready()
    print(f"2 query workers up (fork server + forks): {time.perf_counter() - started:.2f} s")
    queries = {
        "ASK {}": "ASK {}",
        "10 states": "SELECT ?s WHERE { ?s a <https://w3id.org/alliance-kg/ontology#State> } LIMIT 10",
        "1000 triples": "SELECT * WHERE { ?s ?p ?o } LIMIT 1000",
    }
    for name, query in queries.items():
        request = QueryRequest(query, accept="application/sparql-results+json")
        in_worker = median_ms(lambda: executor.run(request))
        in_process = median_ms(lambda: answer(reopened, request))
        print(f"{name:>14}: worker {in_worker:.2f} ms, in process {in_process:.2f} ms, "
              f"process hop {in_worker - in_process:+.2f} ms")
    executor.close()

    shapes = config["ONTOLOGY_DIR"] / "shapes.ttl"
    note = ('INSERT DATA { GRAPH <urn:bench:notes> { <https://w3id.org/alliance-kg/id/state/FRA> '
            '<http://www.w3.org/2000/01/rdf-schema#comment> "benchmark note" } }')
    for guard in ([False] if options.no_guard else [False, True]):
        writer = Writer(persistent, shapes, guard=guard)
        result = writer.apply(lambda scratch: scratch.update(note.replace("benchmark note", f"note {guard}")))
        print(f"write {'with' if guard else 'without'} the guard: {result.seconds:.2f} s "
              f"(guard {result.guard_seconds:.2f} s)")


if __name__ == "__main__":
    main()
