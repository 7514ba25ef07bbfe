"""The graph as the service holds it: ontology and data in named graphs, plus their entailments."""
from __future__ import annotations

import time
from dataclasses import dataclass

from . import entailment, loader
from .store import Store, open_store


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
    quads = loader.read_all(files)
    store = open_store(config["STORE_BACKEND"])
    for source in files:  # a store that outlives the process (external, on disk) gets each file's graph anew
        store.replace_graph(source.graph, [])
    store.add_quads(quads)
    asserted = len(store)
    report = entailment.materialise(store)
    return store, LoadReport(len(files), asserted, report.triples, time.perf_counter() - started)
