"""The store that answers queries, behind one small interface.

Backends are chosen by name from a registry and imported lazily, as rdflib's plugins are, so that
an external SPARQL store can stand where the embedded Oxigraph stands without a query changing.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import pyoxigraph as ox

from service.store import safety

RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}
DATASET_FORMATS = {
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}


class QueryResult:
    """One query's answer: solutions, a boolean or triples, serialisable once."""

    def __init__(self, raw):
        self._raw = raw
        if isinstance(raw, ox.QuerySolutions):
            self.kind = "bindings"
        elif isinstance(raw, ox.QueryBoolean):
            self.kind = "boolean"
        else:
            self.kind = "graph"

    @property
    def media_types(self) -> dict:
        return GRAPH_FORMATS if self.kind == "graph" else RESULT_FORMATS

    def serialize(self, media_type: str) -> bytes:
        return self._raw.serialize(format=self.media_types[media_type])

    @property
    def variables(self) -> list[str]:
        return [v.value for v in self._raw.variables] if self.kind == "bindings" else []

    def rows(self) -> Iterator[dict]:
        """Solutions as dicts of variable name to pyoxigraph term (unbound names left out)."""
        names = self.variables
        for solution in self._raw:
            yield {n: solution[n] for n in names if solution[n] is not None}

    def __bool__(self) -> bool:
        if self.kind != "boolean":
            raise TypeError("only an ASK result has a truth value")
        return bool(self._raw)

    def triples(self) -> Iterator[ox.Triple]:
        return iter(self._raw)


class Store(Protocol):
    """What the service needs of a store."""

    def query(self, sparql: str, *, default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None, base_iri: str | None = None) -> QueryResult: ...

    def update(self, sparql: str, base_iri: str | None = None) -> None: ...

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None: ...

    def add_quads(self, quads: Iterable[ox.Quad]) -> None: ...

    def graphs(self) -> list[str]: ...

    def has_graph(self, graph: str) -> bool: ...

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]: ...

    def dump(self, media_type: str) -> bytes: ...

    def __len__(self) -> int: ...


@dataclass
class OxigraphStore:
    """Oxigraph embedded in the process: in memory, or on disk when given a directory.

    Without `default_graphs`, a query's default graph is the union of all graphs, unless the query
    names its own with FROM / FROM NAMED (Oxigraph's union option would otherwise override them)."""

    path: Path | None = None
    read_only: bool = False

    def __post_init__(self):
        if self.path is None:
            self._store = ox.Store()
        else:
            self._store = ox.Store.read_only(str(self.path)) if self.read_only else ox.Store(str(self.path))

    def query(self, sparql, *, default_graphs=None, named_graphs=None, base_iri=None):
        options = {"base_iri": base_iri}
        if default_graphs is None and named_graphs is None:
            options["use_default_graph_as_union"] = not safety.has_dataset_clause(sparql)
        if default_graphs is not None:
            options["default_graph"] = [_graph_node(g) for g in default_graphs]
        if named_graphs is not None:
            options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        return QueryResult(self._store.query(sparql, **options))

    def update(self, sparql, base_iri=None):
        self._store.update(sparql, base_iri=base_iri)

    def replace_graph(self, graph, triples):
        node = ox.NamedNode(graph)
        self._store.remove_graph(node) if self._store.contains_named_graph(node) else None
        self._store.extend(ox.Quad(t.subject, t.predicate, t.object, node) for t in triples)

    def add_quads(self, quads):
        self._store.extend(quads)

    def statements(self, predicates, exclude_graph: str | None = None) -> Iterator[ox.Triple]:
        """Statements with these predicates in any graph but one, straight from the indexes."""
        excluded = ox.NamedNode(exclude_graph) if exclude_graph else None
        for predicate in predicates:
            for quad in self._store.quads_for_pattern(None, predicate, None, None):
                if quad.graph_name != excluded:
                    yield ox.Triple(quad.subject, quad.predicate, quad.object)

    def graphs(self):
        return sorted(g.value for g in self._store.named_graphs())

    def has_graph(self, graph):
        return graph == "" or self._store.contains_named_graph(ox.NamedNode(graph))

    def add_graph(self, graph):
        if graph != "":
            self._store.add_graph(ox.NamedNode(graph))

    def remove_graph(self, graph):
        node = _graph_node(graph)
        self._store.clear_graph(node) if graph == "" else self._store.remove_graph(node)

    def quads(self, graph=None):
        return iter(self._store.quads_for_pattern(None, None, None, None if graph is None else _graph_node(graph)))

    def dump(self, media_type):
        fmt = DATASET_FORMATS.get(media_type) or GRAPH_FORMATS[media_type]
        if fmt in DATASET_FORMATS.values():
            return self._store.dump(format=fmt)
        quads = self._store.quads_for_pattern(None, None, None, None)
        triples = dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads)
        return ox.serialize(triples, format=fmt)

    def __len__(self):
        return len(self._store)


def to_rdflib(store: Store, graphs: list[str], predicates: Iterable[str] | None = None):
    """The union of these graphs ("" is the default graph) as an rdflib Graph, for the tools that
    work on rdflib (pySHACL, owlready2's input, the TBox compiler); only the statements with these
    `predicates` when they are given."""
    from rdflib import Graph
    graph = Graph()
    if graphs:
        # term by term, not through rdflib's N-Triples parser: that one is quadratic in a line's length
        # (a 3 MB literal took a minute, on every guarded write and every check)
        add = graph.add
        for triple in rdflib_triples(store, graphs, predicates):
            add(triple)
    return graph


def rdflib_triples(store: Store, graphs: list[str], predicates: Iterable[str] | None = None) -> Iterator[tuple]:
    """The statements of these graphs as rdflib triples, streamed (see to_rdflib)."""
    if not graphs:
        return
    where = "?s ?p ?o"
    if predicates is not None:
        where = "VALUES ?p { " + " ".join(f"<{p}>" for p in sorted(predicates)) + " } ?s ?p ?o"
    result = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}", default_graphs=graphs)
    made: dict = {}  # terms recur (predicates, classes, hubs): made once, not once per statement
    def term(t):
        found = made.get(t)
        if found is None:
            found = made[t] = _rdflib_term(t)
        return found
    for triple in result.triples():
        yield term(triple.subject), term(triple.predicate), term(triple.object)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _rdflib_term(term):
    from rdflib import BNode, Literal, URIRef
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    datatype = term.datatype.value
    return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))


def _graph_node(graph: str):
    return ox.DefaultGraph() if graph == "" else ox.NamedNode(graph)


BACKENDS = {"oxigraph": "service.store.oxigraph:OxigraphStore", "sparql": "service.store.external:SparqlStore"}


def open_store(backend: str = "oxigraph", **options) -> Store:
    """The store registered under `backend`, imported only when asked for."""
    try:
        target = BACKENDS[backend]
    except KeyError:
        raise ValueError(f"unknown store backend {backend!r}; known: {', '.join(sorted(BACKENDS))}") from None
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(**options)
