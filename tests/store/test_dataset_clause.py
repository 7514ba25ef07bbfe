"""A query reads the union of the graphs unless it names its dataset (FROM, FROM NAMED): the decision
skips rdflib's parser when no FROM keyword can be there, and must agree with the parser everywhere."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from service.store import safety
from service.store.oxigraph import OxigraphStore

from benchmarks.run import queries


@pytest.fixture(scope="module")
def two_graphs():
    return two_graphs_store()


def answers(store, query):
    return sorted(row["o"].value for row in store.query(query).rows())


@pytest.mark.parametrize("clause", [
    "FROM <urn:test:g1>", "FROM<urn:test:g1>", "# from a comment\rFROM <urn:test:g1>",
    "#c\r\rFROM NAMED <urn:test:g2> FROM <urn:test:g1>", "from <urn:test:g1>",
])
def test_a_dataset_clause_is_honoured_however_written(two_graphs, clause):
    query = f"SELECT ?o {clause}\nWHERE {{ ?s <urn:test:p> ?o }}"
    assert safety.has_dataset_clause(query)
    assert answers(two_graphs, query) == ["in g1"]


@pytest.mark.parametrize("text", [
    '?s <urn:test:p> ?o FILTER(?o != "from g3")', "?s <urn:test:p> ?o FILTER(?o != '''it's from''')",
    "?s <urn:test:p> ?o # taken from the union\n", "?s <urn:test:p> ?o OPTIONAL { ?s <urn:test:diffusedFrom> ?from }",
    "?s <urn:test:p> ?o OPTIONAL { ?s <urn:from> ?x }",
])
def test_from_in_a_string_a_comment_an_iri_or_a_name_is_no_dataset_clause(two_graphs, text):
    query = f"SELECT ?o WHERE {{ {text} }}"
    assert not safety.has_dataset_clause(query)
    assert answers(two_graphs, query) == ["in g1", "in g2"]


def test_a_dataset_clause_after_a_bare_word_is_honoured():
    """Oxigraph reads ASKFROM as ASK FROM (no break needed after a keyword): a quick look that took the
    letter before FROM for a longer name missed this dataset clause."""
    query = "ASKFROM <urn:test:g1> { ?s <urn:test:p> \"in g2\" }"
    assert safety.has_dataset_clause(query)
    assert not bool(two_graphs_store().query(query))


def two_graphs_store():
    store = OxigraphStore()
    p = ox.NamedNode("urn:test:p")
    store.add_quads([ox.Quad(ox.NamedNode("urn:test:a"), p, ox.Literal("in g1"), ox.NamedNode("urn:test:g1")),
                     ox.Quad(ox.NamedNode("urn:test:b"), p, ox.Literal("in g2"), ox.NamedNode("urn:test:g2"))])
    return store


def test_the_quick_decision_agrees_with_the_parser_on_every_shipped_query():
    for name, text in queries().items():
        tree = safety.parse(safety.engine_text(text), update=False)
        assert tree is not None, name
        assert safety.has_dataset_clause(text) == ("datasetClause" in tree[1]), name


@pytest.mark.parametrize("text", [
    '?s ?p "a #from" . # a service from the union', "?s ?p ?o # 'from' here\n", "?s akg:diffusedFrom ?from",
    "?s ex:service ?service", "?s ?p ?o FILTER(?o != \"military service\")", "#c\r?s ?p ?o",
    "?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?source", "?s <urn:x#service> ?o", "?s ?p ?o #service",
])
def test_words_in_strings_comments_and_names_cost_no_parse(monkeypatch, text):
    monkeypatch.setattr(safety, "parse", lambda *_: pytest.fail("parsed"))
    query = f"SELECT * WHERE {{ {text} }}"
    assert not safety.has_dataset_clause(query)
    safety.check(query)


@pytest.mark.parametrize("text", [
    "?s ?p ?o .SERVICE <http://127.0.0.1:9/> { ?a ?b ?c }", "?s ?p 1SERVICE <http://127.0.0.1:9/> { ?a ?b ?c }",
    "?s ?p 'it''s' SERVICE <http://127.0.0.1:9/> { }", "?s ?p '#' SERVICE <http://127.0.0.1:9/> { }",
    "?s ?p <urn:x#y> SERVICE <http://127.0.0.1:9/> { }", "FILTER(?a<?b)SERVICE?x#>\n{ }",
    '?s ?p """a\n# """ SERVICE <http://127.0.0.1:9/> { }', "?s ?p ?o #c\rSERVICE <http://127.0.0.1:9/> { }",
    '?s ?p "a" . #x\n SeRvIcE <http://127.0.0.1:9/> { }',
    # a keyword needs no break after a bare word: Oxigraph reads falseSERVICE as false, then SERVICE
    "?s ?p falseSERVICE <http://127.0.0.1:9/> { ?a ?b ?c }", "?s ?p ?o.SERVICE <http://127.0.0.1:9/> { }",
    "?s ?p ex:a.SERVICE <http://127.0.0.1:9/> { }", "?s ?p '#'SERVICE <http://127.0.0.1:9/> { }",
    "?s ?p '#x' SERVICE <http://127.0.0.1:9/> { }",
])
def test_a_service_call_however_written_is_refused(text):
    with pytest.raises(safety.ForbiddenQuery):
        safety.check(f"SELECT * WHERE {{ {text} }}")
