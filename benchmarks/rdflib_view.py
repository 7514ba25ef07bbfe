"""The rdflib view of the store (pySHACL's and HermiT's input, built on every guarded write and check):
term by term (service.store.oxigraph.to_rdflib) against the old way, N-Triples through rdflib's parser,
side by side in one run, on the shipped graph and on it with one large literal (issue 17, item 6).

    python -m benchmarks.rdflib_view [--literal-mb 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

import pyoxigraph as ox
from rdflib import Graph

from service.config import load_config
from service.graph import knowledge_graph
from service.store.oxigraph import to_rdflib


def through_ntriples(store, graphs):
    graph = Graph()
    result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=graphs)
    graph.parse(data=result.serialize("application/n-triples").decode(), format="nt")
    return graph


def median_seconds(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--literal-mb", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    store, _ = knowledge_graph.build(load_config())
    for label in ("shipped graph", f"+ one {options.literal_mb:g} MB literal"):
        if label.startswith("+"):
            text = "x" * int(options.literal_mb * 1_000_000)
            store.add_quads([ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal(text),
                                     ox.NamedNode("urn:large"))])
        graphs = store.graphs()
        new = median_seconds(lambda: to_rdflib(store, graphs), options.repeat)
        old = median_seconds(lambda: through_ntriples(store, graphs), 1 if label.startswith("+") else options.repeat)
        print(f"{label:28} term by term {new:7.2f} s   through N-Triples {old:7.2f} s   ratio {old / new:6.1f}x")


if __name__ == "__main__":
    main()
