"""An external SPARQL 1.1 store (Virtuoso, QLever, Fuseki, GraphDB...) behind the Store interface.

The service talks to it over the SPARQL 1.1 Protocol only: queries to the query URL, updates
(INSERT DATA, DROP GRAPH) to the update URL, with optional basic or digest credentials. Answers are
parsed by pyoxigraph, so the blueprints see the same QueryResult whichever store answered.

Settings (keyword arguments, else ALLIANCE_KG_* environment variables):
STORE_QUERY_URL, STORE_UPDATE_URL (default: the query URL), STORE_USER, STORE_PASSWORD,
STORE_AUTH (basic | digest; Virtuoso's /sparql-auth wants digest), STORE_TIMEOUT (seconds a query
may take before it is abandoned with QueryTimeout), STORE_GRAPH_PREFIX (the graphs that make up the
union default graph; default https://w3id.org/alliance-kg/graph/).

Why the default graph is spelled out: external stores disagree on what a query without FROM sees
(Virtuoso: every graph it holds, its own system graphs included; Fuseki: the unnamed graph unless
unionDefaultGraph is set). So every query names the project's graphs as `default-graph-uri` and
`named-graph-uri`, which every SPARQL 1.1 server honours, and the answer is the embedded store's.

Writes through the service (SPARQL Update, Graph Store) go through service/graph/writes.py's Writer, as on
the embedded store; `commit` then replaces the changed graphs and the entailments graph in ONE update
request. SPARQL 1.1 Update says a request SHOULD be atomic; Virtuoso 7.2 is not when an operation
fails at run time (the earlier ones stay applied: docs/deployment.md), so a refused commit is undone by
writing back the graphs as they were read just before it.

Requests go through one `requests.Session`, so that connections are kept alive between queries
(SPARQLWrapper opens a connection per query, which costs a round trip each time).
"""
from __future__ import annotations

import os
import re
import time
from typing import Iterable

import pyoxigraph as ox
import requests

from service.store import execution
from service import iris
from service.store.oxigraph import DATASET_FORMATS, QueryResult
from service.store.errors import StoreFailure, WriteRefused

RESULTS_JSON = "application/sparql-results+json"
RDF_RESPONSE_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE, "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/ld+json": ox.RdfFormat.JSON_LD,
    "text/rdf+n3": ox.RdfFormat.N3, "text/n3": ox.RdfFormat.N3,
}
INSERT_BATCH = 1_000  # triples per INSERT request (Virtuoso's SPARQL parser runs out of memory near 5,000)
_OPAQUE = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                     r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|#[^\n]*', re.DOTALL)
_FORM = re.compile(r"(?<![\w:?$])(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:])", re.IGNORECASE)


class QueryTimeout(execution.QueryTimeout, TimeoutError, StoreFailure):
    """The external store did not answer within the time limit (a query: 503; a write: 504)."""
    status = 504


class StoreUnavailable(execution.QueryAborted, ConnectionError, StoreFailure):
    """The external store cannot be reached (the endpoint answers 503)."""
    status = 503


class StoreError(RuntimeError, StoreFailure):
    """The external store failed on a request it received (a query: 400 with its message; a write: 502)."""
    status = 502


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword outside strings, IRIs and comments."""
    match = _FORM.search(_OPAQUE.sub(" ", sparql))
    if match is None:
        raise SyntaxError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")
    return match.group(1).upper()


class _Triples:
    """A CONSTRUCT or DESCRIBE answer, shaped like pyoxigraph's QueryTriples for QueryResult."""

    def __init__(self, triples: list[ox.Triple]):
        self._triples = triples

    def __iter__(self):
        return iter(self._triples)

    def serialize(self, output=None, format: ox.RdfFormat | None = None):  # noqa: A002 - pyoxigraph's names
        return ox.serialize(self._triples, output, format=format)


def _setting(explicit, key: str, default=None):
    if explicit is not None:
        return explicit
    return os.environ.get(f"ALLIANCE_KG_{key}", default)


class SparqlStore:
    """A remote SPARQL 1.1 store reached over HTTP."""

    def __init__(self, query_url: str | None = None, update_url: str | None = None, user: str | None = None,
                 password: str | None = None, auth: str | None = None, timeout: float | None = None,
                 graph_prefix: str | None = None, graphs_ttl: float = 5.0):
        self.query_url = _setting(query_url, "STORE_QUERY_URL")
        if not self.query_url:
            raise ValueError("the sparql store backend needs a query URL: set ALLIANCE_KG_STORE_QUERY_URL "
                             "(e.g. http://127.0.0.1:8890/sparql)")
        self.update_url = _setting(update_url, "STORE_UPDATE_URL") or self.query_url
        timeout = _setting(timeout, "STORE_TIMEOUT")
        self.timeout = float(timeout) if timeout not in (None, "") else None
        self.graph_prefix = _setting(graph_prefix, "STORE_GRAPH_PREFIX", iris.GRAPH)
        self.session = requests.Session()
        user, password = _setting(user, "STORE_USER"), _setting(password, "STORE_PASSWORD")
        scheme = (_setting(auth, "STORE_AUTH", "basic") or "basic").lower()
        if user:
            if scheme not in ("basic", "digest"):
                raise ValueError(f"unknown STORE_AUTH {scheme!r}: basic or digest")
            self.session.auth = (requests.auth.HTTPDigestAuth(user, password or "") if scheme == "digest"
                                 else requests.auth.HTTPBasicAuth(user, password or ""))
        # the list of graphs is asked for at most every `graphs_ttl` seconds (other writers may add some)
        self._graphs: tuple[float, list[str]] | None = None
        self._graphs_ttl = graphs_ttl

    # -- the protocol ------------------------------------------------------------------------------

    def _post(self, url: str, data: dict | list, accept: str | None = None, timeout: float | None = None):
        headers = {"Accept": accept} if accept else {}
        limit = timeout if timeout is not None else self.timeout
        started = time.monotonic()
        try:
            response = self.session.post(url, data=data, headers=headers, timeout=(10, limit))
        except requests.Timeout:
            raise QueryTimeout(f"the store at {url} did not answer within {limit:g} s "
                               f"(waited {time.monotonic() - started:.1f} s)") from None
        except requests.ConnectionError as error:
            raise StoreUnavailable(f"cannot reach the store at {url}: {error}") from None
        # Virtuoso's "anytime" queries answer 200 with partial results when its own limit strikes
        if response.headers.get("X-SQL-State") == "S1TAT":
            raise QueryTimeout(f"the store at {url} stopped the query at its own time limit")
        if response.status_code >= 400:
            message = response.text.strip()[:2000] or response.reason
            if response.status_code in (400, 422) or "syntax error" in message.lower():
                raise SyntaxError(f"the store refused the request: {message}")
            if response.status_code in (401, 403):
                raise PermissionError(f"the store refused the request ({response.status_code}): {message}")
            raise StoreError(f"the store answered {response.status_code}: {message}")
        return response

    def query(self, sparql: str, *, default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None, base_iri: str | None = None,
              timeout: float | None = None) -> QueryResult:
        form = query_form(sparql)
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        # the unnamed graph ("") is not part of the project's dataset on an external store
        default_graphs = None if default_graphs is None else [g for g in default_graphs if g]
        everything = self.graphs() if default_graphs is None or named_graphs is None else []
        data = [("query", sparql)]
        data += [("default-graph-uri", g) for g in (everything if default_graphs is None else default_graphs)]
        data += [("named-graph-uri", g) for g in (everything if named_graphs is None else named_graphs)]
        if form in ("SELECT", "ASK"):
            response = self._post(self.query_url, data, RESULTS_JSON, timeout)
            return QueryResult(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON))
        response = self._post(self.query_url, data, "application/n-triples, text/turtle;q=0.9", timeout)
        media_type = response.headers.get("Content-Type", "text/turtle").split(";")[0].strip().lower()
        fmt = RDF_RESPONSE_FORMATS.get(media_type, ox.RdfFormat.TURTLE)
        return QueryResult(_Triples([ox.Triple(q.subject, q.predicate, q.object)
                                     for q in ox.parse(response.content, format=fmt)]))

    def update(self, sparql: str, base_iri: str | None = None) -> None:
        self._post(self.update_url, {"update": f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql})
        self._graphs = None

    def has_graph(self, graph: str) -> bool:
        return graph in self.graphs()

    def add_graph(self, graph: str) -> None:
        """Nothing to do: a SPARQL store's graph exists once it holds a statement."""

    def remove_graph(self, graph: str) -> None:
        self.update(f"DROP SILENT GRAPH <{graph}>")

    def quads(self, graph: str | None = None):
        for name in self.graphs() if graph is None else [graph]:
            node = ox.NamedNode(name)
            result = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=[name], named_graphs=[])
            yield from (ox.Quad(t.subject, t.predicate, t.object, node) for t in result.triples())

    # -- graphs ------------------------------------------------------------------------------------

    def graphs(self) -> list[str]:
        """The named graphs under the graph prefix (the project's), sorted."""
        cached = self._graphs
        if cached and time.monotonic() - cached[0] < self._graphs_ttl:
            return cached[1]
        prefix = ox.Literal(self.graph_prefix)
        query = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), {prefix})) }}"
        response = self._post(self.query_url, {"query": query}, RESULTS_JSON)
        solutions = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
        graphs = sorted(s["g"].value for s in solutions)
        self._graphs = (time.monotonic(), graphs)
        return graphs

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """INSERT DATA per graph, in batches. A blank node label means one node only within one request,
        so the triples connected through blank nodes (an OWL restriction, a list) travel together."""
        by_graph: dict[str, list[ox.Triple]] = {}
        for quad in quads:
            graph = quad.graph_name
            if not isinstance(graph, ox.NamedNode):
                raise ValueError("an external store holds named graphs only: put the statement in a graph")
            by_graph.setdefault(graph.value, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
        for graph, triples in by_graph.items():
            for operation in _insert_operations(graph, triples):
                self._post(self.update_url, {"update": operation})
        self._graphs = None

    def commit(self, quads: Iterable[ox.Quad], graphs: Iterable[str] = (),
               changed_graphs: Iterable[str] | None = None) -> None:
        """Make the changed graphs (all the project's graphs if None) and the entailments graph hold
        exactly their statements in `quads`, in one update request: DROP SILENT GRAPH + INSERT per graph.

        Empty `graphs` are not kept (a SPARQL store's graph exists while it holds a statement). If the
        store refuses the request, the graphs are written back as they were read just before (Virtuoso
        keeps the operations before a failing one) and StoreError says whether that worked."""
        candidate: dict[str, list[ox.Triple]] = {}
        for quad in quads:
            name = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
            candidate.setdefault(name, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
        written = set(candidate) | set(self.graphs()) if changed_graphs is None else set(changed_graphs)
        written = sorted(written | {iris.ENTAILMENTS_GRAPH})
        self.check_writable(written)
        try:
            previous = {graph: [ox.Triple(q.subject, q.predicate, q.object) for q in self.quads(graph)]
                        for graph in written}
        except (StoreError, QueryTimeout, StoreUnavailable) as failure:
            raise type(failure)(f"{failure}; the update was not sent. Nothing was changed") from None
        try:
            self._post(self.update_url, {"update": _replacement(written, candidate)})
        except (StoreError, SyntaxError, PermissionError) as refused:
            raise StoreError(f"the store at {self.update_url} refused the update ({refused}); "
                             + self._put_back(previous)) from None
        except QueryTimeout as slow:
            raise QueryTimeout(f"{slow}; the store may still apply the update, which cannot be recalled: "
                               "look at the graphs before writing again") from None
        except StoreUnavailable as gone:
            raise StoreUnavailable(f"{gone}; the update was not applied unless the connection broke after "
                                   "it was sent") from None
        finally:
            self._graphs = None

    def check_writable(self, graphs: list[str]) -> None:
        """Only named graphs under the graph prefix are read back, so only those may be written
        (WriteRefused, 400, otherwise). The Writer asks before its guard, `commit` again."""
        if "" in graphs:
            raise WriteRefused(400, "An external store holds named graphs only, and this write puts statements "
                                    "in the default graph: name a graph (GRAPH <...> in the update, or "
                                    "?graph=IRI in the Graph Store). Nothing was changed.")
        outside = [g for g in graphs if not g.startswith(self.graph_prefix)]
        if outside:
            raise WriteRefused(400, f"This service reads only the graphs under <{self.graph_prefix}> "
                                    f"(ALLIANCE_KG_STORE_GRAPH_PREFIX) of its external store, so it does not "
                                    f"write <{outside[0]}>: name a graph under that prefix. Nothing was changed.")

    def _put_back(self, previous: dict[str, list[ox.Triple]]) -> str:
        """Write back the graphs as they were: the clause of a message saying whether that worked."""
        try:
            self._post(self.update_url, {"update": _replacement(sorted(previous), previous)})
        except (StoreError, SyntaxError, PermissionError, QueryTimeout, StoreUnavailable) as failure:
            return (f"putting back the graphs as they were failed too ({failure}): "
                    f"{', '.join(f'<{g}>' for g in sorted(previous))} may be partly written")
        return "the graphs were put back as they were. Nothing was changed"

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple]) -> None:
        node = ox.NamedNode(graph)
        self._post(self.update_url, {"update": f"DROP SILENT GRAPH <{graph}>"})
        self._graphs = None
        self.add_quads(ox.Quad(t.subject, t.predicate, t.object, node) for t in triples)

    def dump(self, media_type: str) -> bytes:
        if media_type in DATASET_FORMATS:
            quads = []
            for graph in self.graphs():
                result = self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=[graph],
                                    named_graphs=[])
                node = ox.NamedNode(graph)
                quads += [ox.Quad(t.subject, t.predicate, t.object, node) for t in result.triples()]
            return ox.serialize(quads, format=DATASET_FORMATS[media_type])
        return self.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }").serialize(media_type)

    def __len__(self) -> int:
        prefix = ox.Literal(self.graph_prefix)
        result = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
                            f"FILTER(STRSTARTS(STR(?g), {prefix})) }}", default_graphs=[], named_graphs=self.graphs())
        return int(next(result.rows())["n"].value)


def _insert_operations(graph: str, triples: list[ox.Triple]):
    """INSERT operations putting `triples` in `graph`, about INSERT_BATCH triples each."""
    for batch, has_blank in _batches(triples, INSERT_BATCH):
        body = ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES).decode()
        # Virtuoso refuses blank nodes in INSERT DATA; a template with an empty WHERE takes them
        # (one solution: each label stands for one fresh node throughout the operation)
        yield (f"INSERT {{ GRAPH <{graph}> {{\n{body}}} }} WHERE {{}}" if has_blank
               else f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}")


def _replacement(graphs: list[str], content: dict[str, list[ox.Triple]]) -> str:
    """One update request making each of `graphs` hold exactly its `content` (operations joined by ';')."""
    operations = []
    for graph in graphs:
        operations.append(f"DROP SILENT GRAPH <{graph}>")
        operations.extend(_insert_operations(graph, content.get(graph, [])))
    return " ;\n".join(operations)


def _batches(triples: list[ox.Triple], size: int):
    """(batch, has blank nodes) pairs of about `size` triples; triples sharing a blank node in one batch."""
    parent: dict = {}

    def root(node):
        while parent.setdefault(node, node) is not node and parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    plain, blank = [], []
    for triple in triples:
        nodes = [t for t in (triple.subject, triple.object) if isinstance(t, ox.BlankNode)]
        if not nodes:
            plain.append(triple)
            continue
        blank.append((triple, nodes[0]))
        if len(nodes) == 2:
            a, b = root(nodes[0]), root(nodes[1])
            if a != b:
                parent[a] = b
    components: dict = {}
    for triple, node in blank:
        components.setdefault(root(node), []).append(triple)
    batch: list[ox.Triple] = []
    for component in components.values():
        if batch and len(batch) + len(component) > size:
            yield batch, True
            batch = []
        batch.extend(component)
    if batch:
        yield batch, True
    for start in range(0, len(plain), size):
        yield plain[start:start + size], False

