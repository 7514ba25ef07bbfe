"""W3C conformance: every request the SPARQL 1.1 Protocol, Graph Store Protocol and Service
Description manifests model, sent to a live server (waitress on a loopback port).

The server runs with writes on (a key) and the runner adds `Authorization: Bearer KEY` to every
request, since the manifests do not model authentication. Before each test the store is set to
exactly that test's ut:graphData (empty when it has none), so tests cannot see each other's writes.
The write guard (HermiT + SHACL, about 1.5 s a write even on these tiny graphs) is switched off here:
it is a check on the project's data, tested in tests/graph/test_writes.py, not a protocol feature.
Paths: the manifests' /sparql/ is /sparql here, their /gsp is /rdf-graphs.
"""
from __future__ import annotations

import http.client
import io
import json
import threading
import xml.dom.minidom
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
import waitress.server
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from . import w3c_manifests as manifests
from service import create_app
from service.store.oxigraph import OxigraphStore

KEY = "conformance-test-key"
RESULT_TYPES = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values"}
RDF_TYPES = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/n-triples": "nt",
             "application/ld+json": "json-ld"}
SD = "http://www.w3.org/ns/sparql-service-description#"
PROTOCOL, GRAPH_STORE, DESCRIPTION = (manifests.protocol_tests(), manifests.graph_store_tests(),
                                      manifests.service_description_tests())


def test_the_manifests_hold_every_test_the_issue_counts():
    assert (len(PROTOCOL), len(GRAPH_STORE), len(DESCRIPTION)) == (34, 14, 3)


@pytest.fixture(scope="module")
def server():
    app = create_app({"TESTING": True, "WRITE_KEY": KEY, "WRITE_GUARD": False}, store=OxigraphStore())
    listener = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=listener.run, daemon=True).start()
    yield app, listener.effective_port
    listener.close()
    app.extensions["alliance_kg.close"]()


def reset(app, graph_data: dict) -> None:
    quads = []
    for graph, path in graph_data.items():
        quads += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
                  for t in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES)]
    app.extensions["alliance_kg.store"].commit(quads, list(graph_data))


def rewrite(path: str) -> str:
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/"):]
    if path.startswith("/gsp"):
        return "/rdf-graphs" + path[len("/gsp"):]
    return path


def send(port: int, method: str, path: str, headers: dict, body: bytes | None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=dict(headers, Authorization=f"Bearer {KEY}"))
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def media_type(headers: dict) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def boolean_of(headers: dict, body: bytes) -> bool:
    if media_type(headers) == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    assert media_type(headers) == "application/sparql-results+xml", headers
    return xml.dom.minidom.parseString(body).getElementsByTagName("boolean")[0].firstChild.data == "true"


def check_response(request, status, headers, body, where: str) -> None:
    expected = request.expected
    assert expected.status_ok(status), f"{where}: status {status}, expected {expected.statuses}: {body[:300]!r}"
    fmt = expected.result_format
    if fmt == "boolean":
        assert media_type(headers) in {"application/sparql-results+json", "application/sparql-results+xml"}, where
    elif fmt == "tabular":
        assert media_type(headers) in RESULT_TYPES, where
    elif fmt == "RDF":
        assert media_type(headers) in RDF_TYPES, where
        Graph().parse(data=body, format=RDF_TYPES[media_type(headers)])
    if expected.boolean is not None:
        assert boolean_of(headers, body) is expected.boolean, f"{where}: {body!r}"
    for name, value in expected.headers.items():
        normal = lambda v: v.replace(" ", "").lower()  # noqa: E731
        assert normal(headers.get(name, "")) == normal(value), f"{where}: {name}: {headers.get(name)!r}"
    if expected.body is not None and request.method != "HEAD":
        wanted = Graph().parse(data=expected.body, format="turtle")
        got = Graph().parse(data=body, format=RDF_TYPES[media_type(headers)])
        assert isomorphic(got, wanted), f"{where}: got\n{body.decode()}"


def run_test(server, test) -> None:
    app, port = server
    reset(app, test.graph_data)
    variables: dict[str, str] = {}
    for number, request in enumerate(test.requests, 1):
        path, body = rewrite(request.path), request.body
        for name, value in variables.items():
            path = path.replace(name, value)
            body = body.replace(name.encode(), value.encode()) if body else body
        status, headers, answer = send(port, request.method, path, request.headers, body)
        check_response(request, status, headers, answer, f"{test.name} request {number} ({request.method} {path})")
        if request.expected.location_variable:
            assert "location" in headers, f"{test.name}: no Location header"
            variables[request.expected.location_variable] = headers["location"]


@pytest.mark.parametrize("test", PROTOCOL, ids=[t.name for t in PROTOCOL])
def test_sparql_protocol(server, test):
    run_test(server, test)


@pytest.mark.parametrize("test", GRAPH_STORE, ids=[t.name for t in GRAPH_STORE])
def test_graph_store_protocol(server, test):
    run_test(server, test)


def _description(port: int, accept: str) -> Graph:
    status, headers, body = send(port, "GET", "/sparql", {"Accept": accept}, None)
    assert status == 200 and media_type(headers) == accept, (status, headers)
    return Graph().parse(data=body, format=RDF_TYPES[accept])


@pytest.mark.parametrize("test", DESCRIPTION, ids=[t.name for t in DESCRIPTION])
@pytest.mark.parametrize("accept", ["text/turtle", "application/rdf+xml"])
def test_service_description(server, test, accept):
    _app, port = server
    graph = _description(port, accept)  # returns-rdf: it parses as RDF in the format asked for
    endpoint = URIRef(f"http://127.0.0.1:{port}/sparql")
    services = list(graph.subjects(URIRef(SD + "endpoint"), endpoint))
    if test.name == "has-endpoint-triple":
        assert len(services) == 1
    elif test.name == "conforms-to-schema":
        service, = services
        assert (service, RDF.type, URIRef(SD + "Service")) in graph
        languages = set(graph.objects(service, URIRef(SD + "supportedLanguage")))
        assert languages and languages <= {URIRef(SD + n) for n in ("SPARQL10Query", "SPARQL11Query", "SPARQL11Update")}
        for prop in ("resultFormat", "inputFormat", "feature", "defaultEntailmentRegime",
                     "defaultSupportedEntailmentProfile"):
            values = list(graph.objects(service, URIRef(SD + prop)))
            assert values and all(isinstance(v, URIRef) for v in values), prop
        dataset = graph.value(service, URIRef(SD + "defaultDataset"))
        assert (dataset, RDF.type, URIRef(SD + "Dataset")) in graph
        assert (graph.value(dataset, URIRef(SD + "defaultGraph")), RDF.type, URIRef(SD + "Graph")) in graph
        for named in graph.objects(dataset, URIRef(SD + "namedGraph")):
            assert isinstance(graph.value(named, URIRef(SD + "name")), URIRef)


def test_service_description_lists_formats_entailment_and_features(server):
    graph = _description(server[1], "text/turtle")
    formats = {str(o).rsplit("/", 1)[-1] for o in graph.objects(None, URIRef(SD + "resultFormat"))}
    assert {"SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
            "Turtle", "RDF_XML", "JSON-LD", "N-Triples"} <= formats
    assert URIRef("http://www.w3.org/ns/entailment/RDFS") in set(graph.objects(None, URIRef(SD + "defaultEntailmentRegime")))
    assert URIRef(SD + "UnionDefaultGraph") in set(graph.objects(None, URIRef(SD + "feature")))
    assert URIRef(SD + "SPARQL11Update") in set(graph.objects(None, URIRef(SD + "supportedLanguage")))
