"""No request can make the server fetch anything. The targets are a local HTTP listener that records
every request it gets and a local secret file; after each attempt the listener has seen nothing and
the secret is nowhere in the store or the answer. SERVICE reaches only endpoints on the allow list."""
from __future__ import annotations

import json

import pytest
import requests

from ..conftest import Listener, serve

KEY = "safety-test-key-16"
AUTH = {"Authorization": f"Bearer {KEY}"}
TOKEN = "TOP-SECRET-7f3a9c"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secret")
    (folder / "secret.txt").write_text(TOKEN)
    (folder / "secret.ttl").write_text(f'<urn:secret> <urn:is> "{TOKEN}" .\n')
    return folder


@pytest.fixture(scope="module")
def server(listener):
    from service import create_app
    app = create_app({"TESTING": True, "WRITE_KEY": KEY, "WRITE_GUARD": False})
    url, waitress_server = serve(app)
    yield url
    waitress_server.close()
    app.extensions["alliance_kg.close"]()


@pytest.fixture(autouse=True)
def no_hits_before():
    Listener.hits.clear()
    yield


def secret_in_store(url: str) -> bool:
    query = f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{TOKEN}")) }} }}'
    return requests.get(f"{url}/sparql", params={"query": query}, headers=JSON, timeout=30).json()["boolean"]


def targets(listener, secret) -> list[str]:
    return [f"{listener}/data.ttl", f"file://{secret}/secret.ttl", f"file://{secret}/secret.txt"]


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
    "select * where {{ service silent <{target}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o SERVICE <{target}> {{ ?s ?q ?r }} }} LIMIT 1",
])
def test_service_is_refused_and_reaches_nothing(server, listener, template):
    response = requests.get(f"{server}/sparql", params={"query": template.format(target=f"{listener}/sparql")},
                            timeout=30)
    assert response.status_code == 400 and "SERVICE is not allowed" in response.text
    assert Listener.hits == []


def test_service_reaches_an_endpoint_on_the_allow_list_and_no_other(listener):
    from service import create_app
    allowed = f"{listener}/sparql"
    app = create_app({"TESTING": True, "ALLOWED_SERVICES": [allowed]})
    url, waitress_server = serve(app)
    try:
        response = requests.get(f"{url}/sparql", params={"query": f"SELECT ?x WHERE {{ SERVICE <{allowed}> {{ ?x ?p ?o }} }}"},
                                headers=JSON, timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"][0]["x"]["value"] == "from the listener"
        assert len(Listener.hits) == 1
        other = requests.get(f"{url}/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{listener}/other> {{ ?s ?p ?o }} }}"},
                             timeout=30)
        assert other.status_code == 400 and len(Listener.hits) == 1
    finally:
        waitress_server.close()
        app.extensions["alliance_kg.close"]()


@pytest.mark.parametrize("template", [
    "SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} FROM <{target}> WHERE {{ ?s ?p ?o }}",
])
def test_from_and_from_named_only_select_graphs_in_the_store(server, listener, secret, template):
    for target in targets(listener, secret):
        response = requests.get(f"{server}/sparql", params={"query": template.format(target=target)}, timeout=30)
        assert response.status_code == 200, response.text
        assert TOKEN not in response.text and "<urn:secret>" not in response.text
        if "SELECT" in template:
            assert json.loads(response.text)["results"]["bindings"] == []
    assert Listener.hits == []


@pytest.mark.parametrize("template", [
    "LOAD <{target}>",
    "LOAD SILENT <{target}> INTO GRAPH <urn:loaded>",
    "INSERT DATA {{ <urn:a> <urn:b> <urn:c> }} ;\nload <{target}>",
])
def test_load_is_refused_even_with_the_write_key(server, listener, secret, template):
    for target in targets(listener, secret):
        for send in (lambda text: requests.post(f"{server}/sparql", data={"update": text}, headers=AUTH, timeout=30),
                     lambda text: requests.post(f"{server}/sparql", data=text.encode(), timeout=30,
                                                headers={"Content-Type": "application/sparql-update", **AUTH})):
            response = send(template.format(target=target))
            assert response.status_code == 400 and "LOAD is not allowed" in response.text, response.text
    assert Listener.hits == []
    assert not secret_in_store(server)
    assert not requests.get(f"{server}/sparql", params={"query": "ASK { <urn:a> <urn:b> <urn:c> }"},
                            headers=JSON, timeout=30).json()["boolean"]


def test_service_inside_an_update_is_refused(server, listener):
    text = f"INSERT {{ GRAPH <urn:g> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{listener}/sparql> {{ ?s ?p ?o }} }}"
    response = requests.post(f"{server}/sparql", data={"update": text}, headers=AUTH, timeout=30)
    assert response.status_code == 400 and "SERVICE is not allowed" in response.text
    assert Listener.hits == []


@pytest.mark.parametrize("context", ["{listener}/context.jsonld", "file://{secret}/secret.txt"])
def test_json_ld_contexts_are_never_fetched(server, listener, secret, context):
    document = {"@context": context.format(listener=listener, secret=secret), "@id": "urn:thing", "name": "x"}
    response = requests.put(f"{server}/rdf-graphs?graph=urn:jsonld", data=json.dumps(document).encode(),
                            headers={"Content-Type": "application/ld+json", **AUTH}, timeout=30)
    assert response.status_code == 400 and "remote context" in response.text, response.text
    assert Listener.hits == []
    assert requests.get(f"{server}/rdf-graphs?graph=urn:jsonld", timeout=10).status_code == 404


@pytest.mark.parametrize("entity", ["{listener}/entity", "file://{secret}/secret.txt"])
def test_rdf_xml_external_entities_are_never_read(server, listener, secret, entity):
    document = f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "{entity.format(listener=listener, secret=secret)}"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="urn:ex:">
  <rdf:Description rdf:about="urn:thing"><ex:says>&secret;</ex:says></rdf:Description>
</rdf:RDF>"""
    response = requests.put(f"{server}/rdf-graphs?graph=urn:xml", data=document.encode(),
                            headers={"Content-Type": "application/rdf+xml", **AUTH}, timeout=30)
    assert response.status_code == 400, response.text  # Oxigraph's XML reader takes no external entities
    assert Listener.hits == []
    assert not secret_in_store(server) and TOKEN not in response.text


def test_json_ld_with_an_inline_context_is_read(server):
    document = {"@context": {"name": "http://xmlns.com/foaf/0.1/name"}, "@id": "urn:inline", "name": "Inline"}
    response = requests.put(f"{server}/rdf-graphs?graph=urn:inline-jsonld", data=json.dumps(document).encode(),
                            headers={"Content-Type": "application/ld+json", **AUTH}, timeout=30)
    assert response.status_code == 201, response.text
    graph = requests.get(f"{server}/rdf-graphs?graph=urn:inline-jsonld", headers={"Accept": "application/n-triples"},
                         timeout=10).text
    assert graph.strip() == '<urn:inline> <http://xmlns.com/foaf/0.1/name> "Inline" .'


# The red team's five ways past the text scanner (issue 17, item 1), and `localhost` by name: each
# made the server POST to the listener. The decision is now taken on the parsed query.
BYPASSES = [
    "SELECT * WHERE {{ ?s ?p ?o .SERVICE <{endpoint}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ #c\rSERVICE <{endpoint}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ \\u003Fs ?p ?o SERVICE <{endpoint}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o \\u0053ERVICE <{endpoint}> {{ ?a ?b ?c }} }}",
    "PREFIX ex: <urn:ex:> SELECT * WHERE {{ ex:a\\# ?p ?o . SERVICE <{endpoint}> {{ ?a ?b ?c }} }}",
    "PREFIX ex: <urn:ex:> SELECT * WHERE {{ ex:a\\' ?p ?o . SERVICE <{endpoint}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ SERVICE ?endpoint {{ ?a ?b ?c }} VALUES ?endpoint {{ <{endpoint}> }} }}",
]


@pytest.mark.parametrize("template", BYPASSES)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_service_hidden_from_a_text_scanner_is_still_refused(server, listener, template, host):
    endpoint = listener.replace("127.0.0.1", host) + "/sparql"
    response = requests.post(f"{server}/sparql", data={"query": template.format(endpoint=endpoint)}, timeout=30)
    assert response.status_code == 400, response.text
    assert "SERVICE is not allowed" in response.text
    assert Listener.hits == []


@pytest.mark.parametrize("template", ["#x\rLOAD <{target}>", "\\u004cOAD <{target}>",
                                      "INSERT DATA {{ <urn:a> <urn:b> <urn:c> }} ;#\rLOAD <{target}>"])
def test_load_hidden_from_a_text_scanner_is_refused_before_anything_is_fetched(server, listener, template):
    response = requests.post(f"{server}/sparql", data={"update": template.format(target=f"{listener}/data.ttl")},
                             headers=AUTH, timeout=30)
    assert response.status_code == 400 and "LOAD is not allowed" in response.text, response.text
    assert Listener.hits == []


def test_words_service_and_load_in_strings_and_iris_are_not_calls(server):
    query = 'SELECT ?x WHERE { VALUES ?x { "SERVICE <http://127.0.0.1:9/> { }" <urn:load> } }'
    response = requests.get(f"{server}/sparql", params={"query": query}, headers=JSON, timeout=30)
    assert response.status_code == 200, response.text
    assert len(response.json()["results"]["bindings"]) == 2


def test_the_query_workers_cannot_reach_the_network_even_past_the_parser(server, listener, tmp_path):
    """The second wall: a SERVICE the first wall never saw (the executor called directly) fetches nothing."""
    from service.store.execution import ProcessExecutor, QueryRequest
    from service.store.on_disk import PersistentStore
    store = PersistentStore(tmp_path / "store")
    store.commit([], [])
    executor = ProcessExecutor(store.directory, workers=1, timeout=20)
    try:
        answer = executor.run(QueryRequest(f"SELECT * WHERE {{ SERVICE <{listener}/sparql> {{ ?s ?p ?o }} }}"))
    finally:
        executor.close()
        store.close()
    assert answer.status == 400 and b"network connection" in answer.body, answer
    assert Listener.hits == []


def test_an_update_runs_where_it_cannot_reach_the_network(listener):
    """The second wall for writes: LOAD handed straight to the engine, in the sandbox, fetches nothing."""
    import socket

    from service.store import sandbox
    from service.store.oxigraph import OxigraphStore
    scratch = OxigraphStore()
    with pytest.raises(PermissionError):
        sandbox.run_without_network(lambda: scratch.update(f"LOAD <{listener}/data.ttl>"))
    assert Listener.hits == [] and len(scratch) == 0
    host, port = listener.removeprefix("http://").split(":")
    socket.create_connection((host, int(port)), timeout=5).close()  # the calling thread keeps its network


def test_a_failing_allowed_service_is_a_502_not_a_store_failure(listener):
    from service import create_app
    closed = "http://127.0.0.1:1/sparql"
    app = create_app({"TESTING": True, "ALLOWED_SERVICES": [closed]})
    url, waitress_server = serve(app)
    try:
        response = requests.get(f"{url}/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{closed}> {{ ?s ?p ?o }} }}"},
                                timeout=30)
    finally:
        waitress_server.close()
        app.extensions["alliance_kg.close"]()
    assert response.status_code == 502, response.text
    assert "SERVICE endpoint could not be queried" in response.text and "store could not be read" not in response.text


def test_a_huge_request_naming_service_is_refused_without_a_long_parse(server):
    """The red team's 9.9 MB queries made the check slow for everyone; a request that long that names
    SERVICE anywhere is refused at once (the parser would take seconds in a request thread)."""
    import time
    # in an IRI, where the quick look (safety.might_hold_keyword) cannot rule the keyword out
    query = 'SELECT * WHERE { VALUES ?x { ' + " ".join(f"<urn:x/service/{i}>" for i in range(60_000)) + " } }"
    started = time.perf_counter()
    response = requests.post(f"{server}/sparql", data=query.encode(), timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400 and "too long to be proved free" in response.text
    assert time.perf_counter() - started < 5
    small = requests.get(f"{server}/sparql", params={"query": 'ASK { VALUES ?x { <urn:x/service/1> } }'},
                         headers=JSON, timeout=30)
    assert small.status_code == 200 and small.json()["boolean"] is True
