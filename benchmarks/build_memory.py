"""Memory and time of building the graph, in a fresh process per way of loading.

    .venv/bin/python -m benchmarks.build_memory DATA_DIR [--way stream|list] [--no-entailment]

`stream` is `knowledge_graph.build` (each file parsed by pyoxigraph straight into the store);
`list` is how the build worked before: every file's quads parsed into one Python list
(`loader.read_all`), then added. Prints one JSON line: seconds and RSS (MB) after loading, after
the entailments, and the process's peak (ru_maxrss), so the two can be compared run against run.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from benchmarks.measure import rss_of


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--way", choices=("stream", "list"), default="stream")
    parser.add_argument("--no-entailment", action="store_true")
    args = parser.parse_args(argv)

    from service.store import bulk_load, loader
    from service.reasoning import entailment
    from service.graph import knowledge_graph
    from service.config import load_config
    from service.store.oxigraph import OxigraphStore

    config = load_config({"DATA_DIR": args.data_dir})
    figures = {"way": args.way, "rss_at_start_mb": rss_of() / 2**20}
    started = time.perf_counter()
    files = loader.source_files(config["ONTOLOGY_DIR"], config["DATA_DIR"])
    store = OxigraphStore()
    if args.way == "list":
        store.add_quads(loader.read_all(files))
    else:
        bulk_load.stream_files(store, files)
    figures.update(asserted=len(store), load_seconds=time.perf_counter() - started,
                   rss_after_load_mb=rss_of() / 2**20,
                   peak_after_load_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if not args.no_entailment:
        report = entailment.materialise(store)
        knowledge_graph.return_freed_memory()  # as knowledge_graph.build does
        figures.update(entailed=report.triples, entailment_seconds=report.seconds,
                       rss_after_entailment_mb=rss_of() / 2**20,
                       peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
