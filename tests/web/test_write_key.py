"""The write key and what a client cannot steer: a weak or blank key refuses the start, wrong keys are
rate-limited per address (429 with Retry-After), and a FROM or WHERE hidden from a text scanner is
honoured as the engine reads it (or the request refused), never ignored."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from service.config import ConfigError, load_config
from service.store import safety
from service.store.oxigraph import OxigraphStore
from service.web import updates
from service.web.key_limit import FailedKeyLimit

KEY = "a-sixteen-char-key-for-tests"


@pytest.mark.parametrize("value, problem", [("", "blank"), ("   ", "blank"), ("x", "1 characters"),
                                            ("fifteen-chars!!", "15 characters")])
def test_a_weak_or_blank_key_refuses_the_start(monkeypatch, value, problem):
    monkeypatch.setenv("ALLIANCE_KG_WRITE_KEY", value)
    with pytest.raises(ConfigError, match=f"is {problem}; use at least 16"):
        load_config()


def test_a_key_file_with_a_short_key_refuses_the_start(tmp_path):
    (tmp_path / "key").write_text("short\n")
    with pytest.raises(ConfigError, match="5 characters"):
        load_config({"WRITE_KEY_FILE": tmp_path / "key"})
    assert load_config({"WRITE_KEY": "sixteen-chars-ok"})["WRITE_KEY"] == "sixteen-chars-ok"


def test_wrong_keys_are_rate_limited_per_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "WRITE_KEY", KEY)
    monkeypatch.setitem(app.extensions, "alliance_kg.key_limit", FailedKeyLimit(burst=3, seconds_per_token=60))
    client = app.test_client()
    update = {"update": "INSERT DATA { GRAPH <urn:test:k> { <urn:a> <urn:b> <urn:c> } }"}
    wrong = {"Authorization": "Bearer wrong-key-guess-0000000"}
    guesser = {"REMOTE_ADDR": "203.0.113.7"}
    statuses = [client.post("/sparql", data=update, headers=wrong, environ_base=guesser).status_code for _ in range(3)]
    assert statuses == [401] * 3
    limited = client.put("/rdf-graphs?graph=urn:test:k", data=b"<urn:a> <urn:b> <urn:c> .", headers={
        "Content-Type": "application/n-triples", **wrong}, environ_base=guesser)
    assert limited.status_code == 429 and 50 <= int(limited.headers["Retry-After"]) <= 60
    assert "Too many writes with a wrong key" in limited.get_data(as_text=True)
    # while limited, even the right key is not compared: guessing gains nothing
    right = client.post("/sparql", data=update, headers={"Authorization": f"Bearer {KEY}"}, environ_base=guesser)
    assert right.status_code == 429
    other = client.post("/sparql", data=update, headers=wrong, environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert other.status_code == 401, "another address is not limited"


@pytest.fixture()
def two_graphs():
    store = OxigraphStore()
    p = ox.NamedNode("urn:test:p")
    store.add_quads([ox.Quad(ox.NamedNode("urn:test:a"), p, ox.Literal("in g1"), ox.NamedNode("urn:test:g1")),
                     ox.Quad(ox.NamedNode("urn:test:b"), p, ox.Literal("in g2"), ox.NamedNode("urn:test:g2"))])
    return store


@pytest.mark.parametrize("hidden_from", ["#c\rFROM <urn:test:g1>", "#c\r\rFROM NAMED <urn:test:g2> FROM <urn:test:g1>", "FROM <urn:test:g1>"])
def test_a_hidden_from_is_honoured_not_the_whole_store_queried(two_graphs, hidden_from):
    query = f"SELECT ?o {hidden_from}\nWHERE {{ ?s <urn:test:p> ?o }}"
    assert safety.has_dataset_clause(query)
    assert [row["o"].value for row in two_graphs.query(query).rows()] == ["in g1"]


def test_a_query_without_from_reads_the_union(two_graphs):
    query = "SELECT ?o WHERE { ?s <urn:test:p> ?o } # FROM in a comment is no FROM"
    assert not safety.has_dataset_clause(query)
    assert sorted(row["o"].value for row in two_graphs.query(query).rows()) == ["in g1", "in g2"]


@pytest.mark.parametrize("hidden", ["#c\rUSING <urn:test:g2>", "\\u0055SING <urn:test:g2>", "#c\rWITH <urn:test:g2>"])
def test_a_hidden_using_or_with_conflicts_with_the_protocol_dataset(hidden):
    update = f"INSERT {{ GRAPH <urn:test:out> {{ ?s ?p ?o }} }} {hidden}\nWHERE {{ ?s ?p ?o }}"
    if hidden.endswith("WITH <urn:test:g2>"):
        update = f"{hidden}\nINSERT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"
    with pytest.raises(updates.DatasetConflict):
        updates.with_protocol_dataset(update, ["urn:test:g1"], [])


@pytest.mark.parametrize("where", ["#c\rWHERE", "\\u0057HERE"])
def test_the_protocol_dataset_reaches_a_where_hidden_from_the_scanner(two_graphs, where):
    update = f"INSERT {{ GRAPH <urn:test:out> {{ ?s <urn:test:copied> ?o }} }} {where} {{ ?s <urn:test:p> ?o }}"
    rewritten = updates.with_protocol_dataset(update, ["urn:test:g1"], [])
    assert "USING <urn:test:g1>" in rewritten
    two_graphs.update(rewritten)
    copied = [row["o"].value for row in two_graphs.query(
        "SELECT ?o WHERE { GRAPH <urn:test:out> { ?s <urn:test:copied> ?o } }").rows()]
    assert copied == ["in g1"], "only the protocol's graph was read"


def test_graph_iris_and_the_base_iri_come_from_public_base_not_the_host_header(app, monkeypatch):
    monkeypatch.setitem(app.config, "WRITE_KEY", KEY)
    monkeypatch.setattr(app.extensions["alliance_kg.writer"], "guard", False)  # the IRIs are tested, not the data
    client = app.test_client()
    auth = {"Authorization": f"Bearer {KEY}", "Host": "attacker.example"}
    put = client.put("/rdf-graphs/host-test", data=b"<urn:test:h> <urn:test:p> <urn:test:o> .",
                     headers={"Content-Type": "application/n-triples", **auth})
    created = client.post("/rdf-graphs", data=b"<urn:test:h2> <urn:test:p> \"x\" .",
                          headers={"Content-Type": "application/n-triples", **auth})
    update = client.post("/sparql", data={"update": "INSERT DATA { GRAPH <urn:test:host> { <urn:test:h3> <urn:test:p> <rel> } }"},
                         headers=auth)
    try:
        assert put.status_code == 201 and created.status_code == 201 and update.status_code == 200, update.data
        store = app.extensions["alliance_kg.store"]
        graphs = set(store.graphs())
        assert "https://w3id.org/alliance-kg/rdf-graphs/host-test" in graphs
        assert created.headers["Location"].startswith("https://w3id.org/alliance-kg/rdf-graphs/")
        assert not [g for g in graphs if "attacker.example" in g]
        objects = {q.object.value for q in store.quads("urn:test:host")}
        assert objects == {"https://w3id.org/alliance-kg/rel"}, "the update's base is PUBLIC_BASE's /sparql"
    finally:
        for graph in ("https://w3id.org/alliance-kg/rdf-graphs/host-test", created.headers.get("Location"), "urn:test:host"):
            if graph:
                client.delete("/rdf-graphs", query_string={"graph": graph}, headers=auth)
