"""The /sparql endpoint as analysts reach it: SPARQLWrapper against a live waitress server."""
from __future__ import annotations

import csv
import io
import json

import pytest
import requests
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

AKG = "https://w3id.org/alliance-kg/ontology#"
NATO = "https://w3id.org/alliance-kg/id/partnership/nato"
COUNT_STATES = f"PREFIX akg: <{AKG}> SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a akg:State }}"
NATO_MEMBERS = f"""PREFIX akg: <{AKG}>
SELECT ?member WHERE {{ <{NATO}> akg:hasMember ?member }} ORDER BY ?member"""
DESCRIBE_NATO = f"CONSTRUCT {{ <{NATO}> ?p ?o }} WHERE {{ <{NATO}> ?p ?o }}"


def wrapper(live_server, query, fmt, method="GET"):
    client = SPARQLWrapper(f"{live_server}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client.query()


@pytest.mark.parametrize("method", ["GET", POST])
def test_select_as_json_through_sparqlwrapper(live_server, method):
    result = wrapper(live_server, COUNT_STATES, JSON, method).convert()
    assert int(result["results"]["bindings"][0]["n"]["value"]) >= 197


def test_select_as_xml(live_server):
    document = wrapper(live_server, NATO_MEMBERS, XML).convert()
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]
    assert len(uris) == 32 and "https://w3id.org/alliance-kg/id/state/USA" in uris


@pytest.mark.parametrize("fmt, delimiter", [(CSV, ","), (TSV, "\t")])
def test_select_as_csv_and_tsv(live_server, fmt, delimiter):
    text = wrapper(live_server, NATO_MEMBERS, fmt).convert().decode()
    table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert table[0] == (["member"] if fmt == CSV else ["?member"])
    assert len(table) == 33


def test_ask(live_server):
    query = f"PREFIX akg: <{AKG}> ASK {{ <{NATO}> a akg:Alliance }}"
    assert wrapper(live_server, query, JSON).convert()["boolean"] is True
    assert "<boolean>true</boolean>" in wrapper(live_server, query, XML).convert().toxml()


@pytest.mark.parametrize("fmt", [TURTLE, N3, JSONLD, RDFXML])
def test_construct_in_every_rdf_format(live_server, fmt):
    converted = wrapper(live_server, DESCRIBE_NATO, fmt).convert()
    graph = converted if isinstance(converted, Graph) else Graph().parse(data=converted, format="turtle")
    assert len(graph) > 10
    assert (None, None, None) in graph


@pytest.mark.parametrize("accept, expected", [
    ("text/turtle", "text/turtle"), ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"), ("application/n-triples", "application/n-triples")])
def test_describe_by_content_negotiation(live_server, accept, expected):
    response = requests.get(f"{live_server}/sparql", params={"query": f"DESCRIBE <{NATO}>"},
                            headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(expected)
    fmt = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml",
           "application/n-triples": "nt"}[expected]
    assert len(Graph().parse(data=response.text, format=fmt)) > 10


def test_direct_post(live_server):
    response = requests.post(f"{live_server}/sparql", data=COUNT_STATES.encode(),
                             headers={"Content-Type": "application/sparql-query",
                                      "Accept": "application/sparql-results+json"}, timeout=10)
    assert response.status_code == 200 and json.loads(response.text)["head"]["vars"] == ["n"]


def test_malformed_query_says_where(live_server):
    with pytest.raises(QueryBadFormed) as raised:
        wrapper(live_server, "SELECT ?s WHERE { ?s ?p }", JSON)
    assert "1:" in str(raised.value)
    response = requests.get(f"{live_server}/sparql", params={"query": "SELECT ?s WHERE {\n  ?s ?p }"}, timeout=10)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "2:" in response.text and "Traceback" not in response.text


@pytest.mark.parametrize("request_kwargs, status", [
    ({"method": "GET", "params": {"query": ["ASK {}", "ASK {}"]}}, 400),
    ({"method": "GET", "params": {"default-graph-uri": "x"}}, 400),
    ({"method": "POST", "data": "ASK {}", "headers": {"Content-Type": "text/plain"}}, 415),
    ({"method": "GET", "params": {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
      "headers": {"Accept": "image/png"}}, 406),
    ({"method": "POST", "data": {"update": "CLEAR ALL"}}, 403),
    ({"method": "POST", "data": "DROP ALL", "headers": {"Content-Type": "application/sparql-update"}}, 403),
    ({"method": "DELETE"}, 405),
])
def test_bad_requests_get_the_right_status_and_the_server_goes_on(live_server, request_kwargs, status):
    method = request_kwargs.pop("method")
    response = requests.request(method, f"{live_server}/sparql", timeout=10, **request_kwargs)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and "/work/" not in response.text
    assert wrapper(live_server, COUNT_STATES, JSON).convert()["results"]["bindings"]


def test_service_is_refused_and_nothing_is_fetched(live_server):
    import http.server
    import threading

    hits = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    listener = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{listener.server_port}/sparql"
    try:
        for query in [f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
                      f"select * where {{ service silent <{target}> {{ ?s ?p ?o }} }}"]:
            response = requests.get(f"{live_server}/sparql", params={"query": query}, timeout=10)
            assert response.status_code == 400 and "SERVICE is not allowed" in response.text
        harmless = 'SELECT ?x WHERE { BIND("SERVICE <http://x>" AS ?x) } # SERVICE'
        assert requests.get(f"{live_server}/sparql", params={"query": harmless}, timeout=10).status_code == 200
    finally:
        listener.shutdown()
    assert hits == []


def test_entailments_are_in_the_default_graph_and_can_be_switched_off(live_server):
    query = f"PREFIX akg: <{AKG}> ASK {{ <{NATO}> a akg:Alliance }}"
    url = f"{live_server}/sparql"
    accept = {"Accept": "application/sparql-results+json"}
    assert requests.get(url, params={"query": query}, headers=accept, timeout=10).json()["boolean"] is True
    asserted = requests.get(url, params={"query": query, "entailment": "none"}, headers=accept, timeout=10)
    assert asserted.json()["boolean"] is False


def test_default_graph_uri_selects_graphs(live_server):
    query = f"PREFIX akg: <{AKG}> SELECT (COUNT(*) AS ?n) WHERE {{ ?s a akg:State }}"
    url = f"{live_server}/sparql"
    accept = {"Accept": "application/sparql-results+json"}
    only_states = requests.get(url, params={"query": query, "default-graph-uri":
                                            "https://w3id.org/alliance-kg/graph/data/states"},
                               headers=accept, timeout=10).json()
    only_ontology = requests.get(url, params={"query": query, "default-graph-uri":
                                              "https://w3id.org/alliance-kg/graph/ontology/core"},
                                 headers=accept, timeout=10).json()
    assert int(only_states["results"]["bindings"][0]["n"]["value"]) == 197 + 22  # today's states and the 22 historical COW states
    assert int(only_ontology["results"]["bindings"][0]["n"]["value"]) == 0


def test_service_description_without_query(live_server):
    response = requests.get(f"{live_server}/sparql", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    assert len(graph) > 5


def test_health(client):
    body = client.get("/health").get_json()
    assert body["status"] == "ok" and body["entailed"] > 0 and body["asserted"] > 6000
