"""Errors that are the client's: a query nested thousands deep, a graph store URL that is no IRI. Each
gets a 400 naming the problem, the worker pool and the server keep going, and no body shows a path."""
from __future__ import annotations

import time

import pytest

DEEP = 5_000
JSON = {"Accept": "application/sparql-results+json"}


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * DEEP + " ?s ?p ?o " + "}" * DEEP,
    "SELECT * WHERE { FILTER(" + "(" * DEEP + "1" + ")" * DEEP + ") }",
    "SELECT * WHERE { ?s ?p " + "[ <urn:p> " * DEEP + "1" + " ]" * DEEP + " }",
    "SELECT * WHERE " + "{" * DEEP,  # not even closed: still the depth that is refused, at once
])
def test_a_query_nested_5000_deep_is_the_clients_error(client, query):
    started = time.perf_counter()
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    seconds = time.perf_counter() - started
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body
    assert "more than 200 deep" in body and "line 1, column" in body
    assert seconds < 2, seconds
    assert client.get("/sparql", query_string={"query": "ASK { }"}, headers=JSON).status_code == 200


def test_an_update_nested_5000_deep_is_refused_before_it_runs_in_the_server(app):
    app.config["WRITE_KEY"] = "test-errors-write-key-0123456789"
    try:
        update = "INSERT { <urn:a> <urn:b> <urn:c> } WHERE " + "{" * DEEP + "}" * DEEP
        response = app.test_client().post("/sparql", data={"update": update},
                                          headers={"Authorization": "Bearer test-errors-write-key-0123456789"})
    finally:
        app.config["WRITE_KEY"] = None
    assert response.status_code == 400 and "more than 200 deep" in response.get_data(as_text=True)


def test_moderate_nesting_still_runs(client):
    query = "SELECT * WHERE " + "{" * 150 + " BIND(1 AS ?x) " + "}" * 150
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "/rdf-graphs/%FF%FE", "/rdf-graphs/%ED%A0%80", "/rdf-graphs/%C0%AF", "/rdf-graphs?graph=http://a/%00",
    "/rdf-graphs?graph=urn:%0Bx", "/rdf-graphs?graph=1:x", "/rdf-graphs?graph=http://a/%25zz",
    "/rdf-graphs?graph=http://[::1/x", "/rdf-graphs?graph=urn:x%23a%23b",
])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_graph_store_urls_that_are_no_iri_get_400(client, url, method):
    response = client.open(url, method=method)
    body = response.get_data(as_text=True)
    assert response.status_code == 400, (response.status_code, body)
    assert "IRI" in body and "/work" not in body and "Traceback" not in body
