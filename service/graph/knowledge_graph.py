"""The graph as the service holds it: ontology and data in named graphs, plus their entailments."""
from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass
from pathlib import Path

from service import iris
from service.config import load_config
from service.store import bulk_load, loader
from service.reasoning import entailment
from service.store.oxigraph import OxigraphStore, Store, open_store


@dataclass
class LoadReport:
    files: int
    asserted_triples: int
    entailed_triples: int
    seconds: float


def build(config: dict) -> tuple[Store, LoadReport]:
    """A store holding every ontology and data file and the entailments, or a LoadError."""
    started = time.perf_counter()
    files = loader.source_files(config["ONTOLOGY_DIR"], config["DATA_DIR"])
    store = open_store(config["STORE_BACKEND"])
    if not (isinstance(store, OxigraphStore) and store.path is None):
        # a store that outlives the process (external, on disk): every file parsed through before
        # anything is written; a fresh in-memory store is simply dropped with a bad file's LoadError
        bulk_load.check_files([source.path for source in files])
    for source in files:  # such a store gets each file's graph anew
        store.replace_graph(source.graph, [])
    bulk_load.stream_files(store, files)  # file by file, parsed by the engine: no list of all quads
    asserted = len(store)
    report = entailment.materialise(store)
    return_freed_memory()
    return store, LoadReport(len(files), asserted, report.triples, time.perf_counter() - started)


def return_freed_memory() -> None:
    """Hand the reasoner's freed Python objects back to the system: glibc keeps freed small blocks
    in its heap, so without this the process stays at its peak (772 against 560 MB at 1M triples)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim, or another allocator's business
        pass


def run_load(paths: list[Path], store_dir: Path | None, graph: str | None, reason: bool, echo, progressbar):
    """The `alliance-kg load` command: check, load with a progress bar, then reason."""



    backend = load_config()["STORE_BACKEND"]
    if store_dir is None and backend == "oxigraph":
        raise ValueError("give --store DIR (a persistent store), or set ALLIANCE_KG_STORE_BACKEND to an "
                         "external store: the default embedded store lives in memory only")
    total = sum(p.stat().st_size for p in paths)
    started = time.perf_counter()
    with progressbar(length=total, label="checking") as bar:
        loaded = bulk_load.check_files(paths, graph, bar.update)
    store = bulk_load.open_persistent(store_dir) if store_dir is not None else open_store(backend)  # only once all is well
    with progressbar(length=total, label="loading ") as bar:
        bulk_load.stream_files(store, loaded, bar.update)
    quads = sum(f.quads for f in loaded)
    echo(f"loaded {quads} statements from {len(loaded)} files in {time.perf_counter() - started:.1f} s; "
         f"the store holds {len(store)}")
    if reason and any(g.startswith(iris.GRAPH + "ontology/") for g in store.graphs()):
        report = entailment.materialise(store)
        echo(f"entailments: {report.triples} triples in {report.seconds:.1f} s")
    elif reason:
        echo("no ontology graphs in the store: entailments not computed")
