"""The service and the CLI against an external SPARQL 1.1 store: a real Virtuoso Open Source 7 on loopback.

The graph is loaded through the service (knowledge_graph.build with STORE_BACKEND=sparql: the files into
named graphs, the entailments materialised through the same Store interface), and every query of
queries/ must give the embedded store's answer. Virtuoso differs from Oxigraph in ways SPARQL leaves
open or that are its own; the comparison allows exactly these and nothing else:
- a boolean (BIND(EXISTS ...)) comes back as the integer 1 or 0, and FLOOR of a decimal as an integer:
  numbers and booleans are compared by value;
- GROUP_CONCAT keeps no language tag and gives "" for an empty group (Oxigraph: unbound), and the
  order of its parts is unspecified: concatenations are compared as sorted parts.
Two queries meet a Virtuoso 7.2 defect; each is a strict xfail, so the suite says when it is gone.

Writes (the write key, the HermiT + SHACL guard, all or nothing) are tested on a second Virtuoso that
holds the ontology with no data (as tests/graph/test_writes.py's guarded server): a guarded write over it
takes seconds, where over the shipped graph with ATOP it takes ~40 s.

Virtuoso comes from Debian's `virtuoso-opensource` package, which scripts/setup.sh installs. Without it
these tests fail at once (they do not skip) and say so.
"""
from __future__ import annotations

import os
import re
import time
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from click.testing import CliRunner

from benchmarks.virtuoso import Virtuoso, VirtuosoUnavailable
from service import create_app, iris
from service.store import external as external_store
from service.graph import knowledge_graph
from service.cli import main
from service.config import load_config
from service.store.external import QueryTimeout, SparqlStore, query_form

from ..conftest import FIXTURES, require

pytestmark = pytest.mark.needs("virtuoso-t")

QUERY_FILES = sorted((Path(__file__).resolve().parents[2] / "queries").glob("*.rq"))
KNOWN_DIVERGENCES = {
    "adversarial-partnerships": "Virtuoso 7.2 fails it with 'SQ200: Stack Overflow in cost model' "
                                "(a sub-SELECT, two FILTER NOT EXISTS and two BIND(EXISTS))",
    "concepts-of-the-paper": "Virtuoso 7.2 drops the OPTIONAL whose FILTER NOT EXISTS refers to a variable "
                             "bound outside it: ?broader comes back unbound",
}
# Queries added or changed on 2026-12-02 (assessments, coverage status) that Virtuoso 7.2 does not yet
# answer as Oxigraph does; assess-unobserved-indicators makes it close the connection, which would fail
# every later test, so these are not run here. Making them portable is open work (docs/deployment.md).
NOT_YET_PORTABLE = {name: "not yet portable to Virtuoso 7.2 (added or changed 2026-12-02): not run, since "
                          "one of them crashes the server" for name in (
    "assess-observations", "assess-unobserved-indicators", "atop-alliances-in-force-in-year",
    "atop-dyads-allied-in-year", "contested-claims", "framework-terms-explained", "in-force-on-date",
    "member-count-on-date")}
NUMERIC = {"integer", "decimal", "double", "float", "int", "long", "short", "nonNegativeInteger"}
_CONCAT = re.compile(r'GROUP_CONCAT\s*\((?:[^;()]|\([^()]*\))*?(?:;\s*separator\s*=\s*("(?:[^"\\]|\\.)*"|'
                     r"'(?:[^'\\]|\\.)*'))?\s*\)\s+AS\s+\?(\w+)", re.IGNORECASE | re.DOTALL)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    yield from running_virtuoso(tmp_path_factory.mktemp("virtuoso"))


def running_virtuoso(folder: Path):
    """A throwaway Virtuoso in `folder`, started (or the test failed with why not), stopped afterwards."""
    server = Virtuoso(folder, query_limit=20)
    try:
        server.start()
    except VirtuosoUnavailable as error:
        pytest.fail(str(error))
    yield server
    server.stop()


def settings_for(virtuoso) -> dict[str, str]:
    return {"ALLIANCE_KG_STORE_BACKEND": "sparql", "ALLIANCE_KG_STORE_QUERY_URL": virtuoso.sparql_url}


@pytest.fixture()
def external_env(virtuoso, monkeypatch):
    """ALLIANCE_KG_STORE_* pointing at the test Virtuoso, for the service and the CLI, in one test only."""
    settings = settings_for(virtuoso)
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    return settings


@pytest.fixture(scope="session")
def external(virtuoso):
    """The shipped graph loaded into Virtuoso through the service: (store, load report)."""
    settings = settings_for(virtuoso)
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        return knowledge_graph.build(load_config())
    finally:  # the other test modules keep the embedded store
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


def concatenations(text: str) -> dict[str, str]:
    """Variables bound by GROUP_CONCAT in a query, with their separators."""
    return {m.group(2): m.group(1)[1:-1] if m.group(1) else " " for m in _CONCAT.finditer(text)}


def comparable(term, separator: str | None):
    if separator is not None:  # a GROUP_CONCAT: unordered parts, no language tag, "" when empty
        value = term.value if term is not None else ""
        return "concat", tuple(sorted(value.split(separator))) if value else ()
    if isinstance(term, ox.Literal):
        kind = term.datatype.value.rpartition("#")[2]
        if kind == "boolean":
            return "number", Decimal(1 if term.value == "true" else 0)
        if kind in NUMERIC:
            return "number", Decimal(term.value)
    return "term", str(term) if term is not None else None


def answers(store, text: str) -> list:
    result = store.query(text)
    separators = concatenations(text)
    return sorted(tuple(comparable(row.get(n), separators.get(n)) for n in result.variables)
                  for row in result.rows())


def test_the_graph_loads_through_the_service_into_the_same_named_graphs(store, shipped, external):
    external_store, report = external
    assert external_store.graphs() == store.graphs()
    assert report.asserted_triples == shipped[1].asserted_triples
    assert report.entailed_triples == shipped[1].entailed_triples
    assert len(external_store) == len(store)


def test_reloading_replaces_the_graphs_instead_of_piling_up_blank_nodes(external, external_env):
    before = len(external[0])
    again, _ = knowledge_graph.build(load_config())
    assert len(again) == before


def _marks(stem: str) -> list:
    if stem in KNOWN_DIVERGENCES:
        return [pytest.mark.xfail(strict=True, reason=KNOWN_DIVERGENCES[stem])]
    if stem in NOT_YET_PORTABLE:
        return [pytest.mark.xfail(run=False, reason=NOT_YET_PORTABLE[stem])]
    return []


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem, marks=_marks(p.stem)) for p in QUERY_FILES])
def test_every_query_gives_the_embedded_answer(store, external, path):
    text = path.read_text(encoding="utf-8")
    expected = answers(store, text)
    assert answers(external[0], text) == expected


def test_asserted_only_and_named_graphs_are_honoured(store, external):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?x a <https://w3id.org/alliance-kg/ontology#Alliance> }"
    asserted = [g for g in store.graphs() if g != iris.ENTAILMENTS_GRAPH]
    for graphs in (None, asserted, [iris.ENTAILMENTS_GRAPH]):
        embedded = next(store.query(count, default_graphs=graphs).rows())["n"].value
        assert next(external[0].query(count, default_graphs=graphs).rows())["n"].value == embedded


def test_the_endpoint_serves_answers_from_virtuoso_and_keeps_its_rules(external):
    app = create_app({"TESTING": True}, store=external[0])
    client = app.test_client()
    query = (QUERY_FILES[0].parent / "alliances-classified-by-reasoner.rq").read_text()
    response = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    alliances = {b["alliance"]["value"] for b in response.get_json()["results"]["bindings"]}
    assert iris.ID + "partnership/nato" in alliances
    turtle = client.get("/sparql", query_string={"query": "CONSTRUCT { ?s ?p ?o } WHERE { VALUES ?s { <"
                                                 + iris.ID + "partnership/nato> } ?s ?p ?o }"},
                        headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and b"North Atlantic" in turtle.data
    assert client.post("/sparql", data={"update": "DROP ALL"}).status_code == 403  # no writes through /sparql
    assert len(external[0]) > 10_000
    refused = client.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"})
    assert refused.status_code == 400
    malformed = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert malformed.status_code == 400


def test_the_time_limit_holds_on_the_external_store(external, virtuoso):
    limited = SparqlStore(query_url=virtuoso.sparql_url, timeout=1.0)
    explosive = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="did not answer within 1 s"):
        limited.query(explosive)
    assert time.monotonic() - started < 5
    app = create_app({"TESTING": True}, store=limited)
    started = time.monotonic()
    response = app.test_client().get("/sparql", query_string={"query": explosive})
    assert response.status_code == 503 and b"did not answer within" in response.data  # issue 3a: 503
    assert time.monotonic() - started < 5


def test_the_cli_queries_and_loads_through_the_external_store(external, external_env, tmp_path):
    result = CliRunner().invoke(main, ["query", "ASK { <" + iris.ID + "partnership/nato> a "
                                       "<https://w3id.org/alliance-kg/ontology#Alliance> }"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "True"
    events = tmp_path / "analyst-events.ttl"
    events.write_text(f"<{iris.ID}partnership/test-pact> a <{iris.AKG}SecurityPartnership> ; "
                      f"<{iris.AKG}hasScopeCondition> <{iris.ID}scope-condition/test-pact> .\n")
    loaded = CliRunner().invoke(main, ["load", str(events), "--no-reason"])  # reasoning: test_bulk_load.py
    assert loaded.exit_code == 0, loaded.output
    store = SparqlStore(query_url=external_env["ALLIANCE_KG_STORE_QUERY_URL"])
    assert iris.data_graph("analyst-events") in store.graphs()
    assert bool(store.query(f"ASK {{ <{iris.ID}partnership/test-pact> <{iris.AKG}hasScopeCondition> ?c }}"))
    store.replace_graph(iris.data_graph("analyst-events"), [])  # leave the graph as the other tests expect it


def test_a_bad_file_loads_nothing_into_the_external_store(external, external_env, tmp_path):
    bad = tmp_path / "bad.nt"
    bad.write_text(f"<{iris.ID}x> <{iris.AKG}p> <{iris.ID}y> .\n<{iris.ID}x> <{iris.AKG}p> .\n")
    before = len(external[0])
    result = CliRunner().invoke(main, ["load", str(bad)])
    assert result.exit_code == 1 and f"{bad}:2:" in result.output
    assert len(SparqlStore(query_url=external_env["ALLIANCE_KG_STORE_QUERY_URL"])) == before


@pytest.mark.parametrize("text, form", [
    ("PREFIX select: <http://x/> ASK { ?s select:p 'SELECT' }", "ASK"),
    ("# CONSTRUCT\nSELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("BASE <http://x/construct> DESCRIBE <a>", "DESCRIBE"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }", "CONSTRUCT"),
])
def test_the_query_form_is_read_past_prefixes_strings_and_comments(text, form):
    assert query_form(text) == form


def test_the_sparql_backend_without_a_url_says_what_to_set(monkeypatch):
    from service.store.oxigraph import open_store
    monkeypatch.delenv("ALLIANCE_KG_STORE_QUERY_URL", raising=False)
    with pytest.raises(ValueError, match="ALLIANCE_KG_STORE_QUERY_URL"):
        open_store("sparql")


# -- writes on the external store ------------------------------------------------------------------

KEY = "external-write-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
AKG = iris.AKG
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ACTOR = iris.ID + "actor/test-militia"
ZZZ = iris.ID + "state/ZZZ"
NOTES = iris.GRAPH + "data/test-notes"
SPARQL_UPDATE = {"Content-Type": "application/sparql-update"}


@pytest.fixture(scope="module")
def paper_virtuoso(tmp_path_factory):
    """A second Virtuoso, for the ontology without data, loaded by create_app (STORE_BACKEND=sparql)."""
    yield from running_virtuoso(tmp_path_factory.mktemp("virtuoso-writes"))


@pytest.fixture(scope="module")
def writable(paper_virtuoso, tmp_path_factory):
    """The service over the second Virtuoso with a write key and the guard on: (test client, Virtuoso)."""
    require("java")  # each write is checked by HermiT
    data_dir = tmp_path_factory.mktemp("empty-data")
    with pytest.MonkeyPatch.context() as patch:  # STORE_BACKEND=sparql reads its URL from the environment
        patch.setenv("ALLIANCE_KG_STORE_QUERY_URL", paper_virtuoso.sparql_url)
        app = create_app({"TESTING": True, "STORE_BACKEND": "sparql", "WRITE_KEY": KEY, "DATA_DIR": data_dir})
    assert isinstance(app.extensions["alliance_kg.store"], SparqlStore)
    yield app.test_client(), paper_virtuoso
    app.extensions["alliance_kg.close"]()


def in_virtuoso(virtuoso) -> set[tuple[str, str, str, str]]:
    """Every statement of the project's graphs, read from Virtuoso directly (not through the service)."""
    query = (f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), \"{iris.GRAPH}\")) }}")
    response = requests.post(virtuoso.sparql_url, data={"query": query}, timeout=60,
                             headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return {tuple(b[k]["value"] for k in "gspo") for b in response.json()["results"]["bindings"]}


def service_asks(client, query: str, **params) -> bool:
    response = client.get("/sparql", query_string={"query": query, **params},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.data
    return response.get_json()["boolean"]


def test_a_write_to_the_external_store_without_the_key_gets_401_and_changes_nothing(writable):
    client, virtuoso = writable
    before = in_virtuoso(virtuoso)
    insert = f"INSERT DATA {{ GRAPH <{NOTES}> {{ <{ACTOR}> a <{AKG}NonStateActor> }} }}"
    attempts = [
        client.post("/sparql", data=insert, headers=SPARQL_UPDATE),
        client.post("/sparql", data={"update": insert}, headers={"Authorization": "Bearer wrong"}),
        client.put(f"/rdf-graphs?graph={NOTES}", data=f"<{ACTOR}> a <{AKG}NonStateActor> .",
                   headers={"Content-Type": "text/turtle"}),
    ]
    assert [r.status_code for r in attempts] == [401] * 3
    assert in_virtuoso(virtuoso) == before


def test_a_consistent_update_reaches_virtuoso_with_its_entailments(writable):
    client, virtuoso = writable
    assert not service_asks(client, f"ASK {{ <{ACTOR}> a <{AKG}Actor> }}")
    insert = (f"INSERT DATA {{ GRAPH <{NOTES}> {{ <{ACTOR}> a <{AKG}NonStateActor> ; "
              f"<http://www.w3.org/2000/01/rdf-schema#label> \"Test militia\"@en }} }}")
    started = time.perf_counter()
    response = client.post("/sparql", data=insert, headers={**SPARQL_UPDATE, **AUTH})
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.data
    assert response.get_json()["changed_graphs"] == [NOTES]
    assert response.get_json()["guard_seconds"] > 0, "the guard ran"
    stored = in_virtuoso(virtuoso)
    assert (NOTES, ACTOR, RDF_TYPE, AKG + "NonStateActor") in stored
    assert (iris.ENTAILMENTS_GRAPH, ACTOR, RDF_TYPE, AKG + "Actor") in stored, "the entailment is in Virtuoso"
    assert service_asks(client, f"ASK {{ <{ACTOR}> a <{AKG}Actor> }}")
    assert not service_asks(client, f"ASK {{ <{ACTOR}> a <{AKG}Actor> }}", entailment="none")
    delete = f"DELETE WHERE {{ GRAPH <{NOTES}> {{ <{ACTOR}> ?p ?o }} }}"
    assert client.post("/sparql", data=delete, headers={**SPARQL_UPDATE, **AUTH}).status_code == 200
    stored = in_virtuoso(virtuoso)
    assert not any(ACTOR in (s, o) for _, s, _, o in stored), "the entailment goes with its statement"
    print(f"guarded update on Virtuoso: {seconds:.1f} s")


def test_an_inconsistent_write_is_refused_with_the_report_and_virtuoso_is_unchanged(writable):
    client, virtuoso = writable
    before = in_virtuoso(virtuoso)
    clash = (FIXTURES / "broken" / "state-and-partnership.ttl").read_bytes()
    started = time.perf_counter()
    response = client.put(f"/rdf-graphs?graph={NOTES}", data=clash, headers={"Content-Type": "text/turtle", **AUTH})
    seconds = time.perf_counter() - started
    assert response.status_code == 422, response.data
    body = response.get_json()
    assert "Nothing was changed" in body["error"]
    assert body["report"]["consistency"]["consistent"] is False
    assert ZZZ in {s for s, _, _ in body["report"]["consistency"]["explanation"]}
    assert in_virtuoso(virtuoso) == before
    print(f"guarded write refused on Virtuoso in {seconds:.1f} s")


def test_a_graph_store_put_and_delete_reach_virtuoso(writable):
    client, virtuoso = writable
    body = f"<{ACTOR}> a <{AKG}NonStateActor> .\n"
    created = client.put(f"/rdf-graphs?graph={NOTES}", data=body, headers={"Content-Type": "text/turtle", **AUTH})
    assert created.status_code == 201, created.data
    stored = in_virtuoso(virtuoso)
    assert (NOTES, ACTOR, RDF_TYPE, AKG + "NonStateActor") in stored
    assert (iris.ENTAILMENTS_GRAPH, ACTOR, RDF_TYPE, AKG + "Actor") in stored
    read = client.get(f"/rdf-graphs?graph={NOTES}", headers={"Accept": "application/n-triples"})
    assert read.status_code == 200 and ACTOR.encode() in read.data
    assert client.delete(f"/rdf-graphs?graph={NOTES}", headers=AUTH).status_code == 204
    stored = in_virtuoso(virtuoso)
    assert NOTES not in {g for g, _, _, _ in stored}
    assert not any(ACTOR in (s, o) for _, s, _, o in stored)


@pytest.mark.parametrize("statement", [f"<{ACTOR}> a <{AKG}NonStateActor>",
                                       f"GRAPH <urn:test:outside> {{ <{ACTOR}> a <{AKG}NonStateActor> }}"],
                         ids=["default-graph", "outside-prefix"])
def test_a_write_to_a_graph_the_service_cannot_read_back_is_refused(writable, statement):
    client, virtuoso = writable
    before = in_virtuoso(virtuoso)
    response = client.post("/sparql", data=f"INSERT DATA {{ {statement} }}", headers={**SPARQL_UPDATE, **AUTH})
    assert response.status_code == 400, response.data
    assert b"Nothing was changed" in response.data
    assert in_virtuoso(virtuoso) == before


def test_a_commit_virtuoso_fails_half_way_is_put_back_and_answers_502(writable, monkeypatch):
    """Virtuoso keeps the operations before one that fails at run time; the commit writes the graphs back."""
    client, virtuoso = writable
    app = create_app({"TESTING": True, "WRITE_KEY": KEY, "WRITE_GUARD": False},
                     store=SparqlStore(query_url=virtuoso.sparql_url))
    before = in_virtuoso(virtuoso)
    replacement = external_store._replacement
    calls = []

    def failing_at_the_end(graphs, content):  # the first request (the commit) fails after its DROPs and INSERTs
        calls.append(graphs)
        if len(calls) == 2:  # putting back: Virtuoso kept the operations before the failing one
            half_written.update(in_virtuoso(virtuoso))
        text = replacement(graphs, content)
        return text + " ;\nDROP GRAPH <urn:test:never-created>" if len(calls) == 1 else text

    half_written = set()

    monkeypatch.setattr(external_store, "_replacement", failing_at_the_end)
    insert = f"INSERT DATA {{ GRAPH <{NOTES}> {{ <{ACTOR}> a <{AKG}NonStateActor> }} }}"
    response = app.test_client().post("/sparql", data=insert, headers={**SPARQL_UPDATE, **AUTH})
    assert response.status_code == 502, response.data
    assert b"has not been explicitly created" in response.data and b"put back" in response.data
    assert len(calls) == 2, "the commit, then the request putting the graphs back"
    assert (NOTES, ACTOR, RDF_TYPE, AKG + "NonStateActor") in half_written, "Virtuoso's request is not atomic"
    assert in_virtuoso(virtuoso) == before


def test_an_unreachable_external_store_answers_a_write_with_503(monkeypatch):
    app = create_app({"TESTING": True, "WRITE_KEY": KEY}, store=SparqlStore(query_url="http://127.0.0.1:9/sparql"))
    insert = f"INSERT DATA {{ GRAPH <{NOTES}> {{ <{ACTOR}> a <{AKG}NonStateActor> }} }}"
    response = app.test_client().post("/sparql", data=insert, headers={**SPARQL_UPDATE, **AUTH})
    assert response.status_code == 503, response.data
    assert b"cannot reach the store at http://127.0.0.1:9/sparql" in response.data
    assert b"Nothing was changed" in response.data
    put = app.test_client().put(f"/rdf-graphs?graph={NOTES}", data=b"<urn:a> <urn:b> <urn:c> .",
                                headers={"Content-Type": "application/n-triples", **AUTH})
    assert put.status_code == 503, put.data


def test_an_external_store_too_slow_for_a_write_answers_504():
    """A listening socket that never answers: the request is sent, and the store's time limit strikes."""
    import socket
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"
        app = create_app({"TESTING": True, "WRITE_KEY": KEY}, store=SparqlStore(query_url=url, timeout=0.5))
        insert = f"INSERT DATA {{ GRAPH <{NOTES}> {{ <{ACTOR}> a <{AKG}NonStateActor> }} }}"
        started = time.monotonic()
        response = app.test_client().post("/sparql", data=insert, headers={**SPARQL_UPDATE, **AUTH})
    assert response.status_code == 504, response.data
    assert b"did not answer within 0.5 s" in response.data and b"Nothing was changed" in response.data
    assert time.monotonic() - started < 5
