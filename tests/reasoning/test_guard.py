"""The write guard at the cost of the change gives the full check's verdict, and its entailments are a
recomputation's: random small changes, valid and invalid, to the shipped graph (hypothesis, derandomized)."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from service import iris
from service.config import load_config
from service.reasoning import entailment
from service.reasoning.check import check_store
from service.reasoning.guard import ENTAILMENTS, Guard
from service.store.oxigraph import OxigraphStore

from benchmarks.writes import PARTNERSHIP

pytestmark = pytest.mark.needs("java")  # the full check and the guard's module run HermiT

AKG = iris.AKG
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def guard(shipped):
    store, _report = shipped
    shapes = Graph().parse(str(load_config()["ONTOLOGY_DIR"] / "shapes.ttl"))
    made = Guard(store.quads(), store.graphs(), shapes)
    assert made.baseline_ok, "the shipped graph passes the full check"
    yield made
    made.close()


@pytest.fixture(scope="module")
def vocabulary(guard):
    """What random changes are made of: the data's statements, and the classes and partnerships they name."""
    data = sorted((q for q in guard.copy.quads() if q.graph_name != ENTAILMENTS
                   and not q.graph_name.value.startswith(iris.GRAPH + "ontology/")), key=str)
    classes = sorted({q.object for q in data if q.predicate == TYPE}, key=str)
    return data, classes


def change_of(vocabulary, draw) -> tuple[list, list]:
    """A few statements removed, and a few made by moving a real statement to another subject or value
    (another date, member, type, source...): some keep every rule, some break one."""
    data, classes = vocabulary
    removed = draw(st.lists(st.sampled_from(data), max_size=3, unique=True))
    added = []
    for kind, first, second in draw(st.lists(st.tuples(st.sampled_from(["subject", "object", "type"]),
                                                        st.sampled_from(data), st.sampled_from(data)),
                                              min_size=0, max_size=3)):
        if kind == "subject" and not isinstance(second.subject, ox.BlankNode):
            added.append(ox.Quad(second.subject, first.predicate, first.object, first.graph_name))
        elif kind == "object":
            added.append(ox.Quad(first.subject, first.predicate, second.object, first.graph_name))
        else:
            cls = classes[data.index(second) % len(classes)]
            added.append(ox.Quad(first.subject, TYPE, cls, first.graph_name))
    return removed, added


@settings(max_examples=6, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_the_guard_gives_the_full_checks_verdict_and_a_recomputations_entailments(guard, vocabulary, data):
    removed, added = change_of(vocabulary, data.draw)

    def change(store):
        for quad in removed:
            store._store.remove(quad)
        store._store.extend(added)

    _outcome, found = guard.apply(change)
    try:
        guard.reason(found)
        incremental = guard.check(found)
        candidate = OxigraphStore()
        candidate.add_quads(q for q in guard.copy.quads() if q.graph_name != ENTAILMENTS)
        full = check_store(candidate, guard.shapes, explain=False)  # recomputes the entailments, too
        assert incremental.ok == full.ok, (removed, added, incremental.as_text(), full.as_text())
        assert incremental.consistency.consistent == full.consistency.consistent
        assert {(v.focus, v.shape) for v in incremental.errors} == {(v.focus, v.shape) for v in full.errors}
        assert incremental.profile == full.profile
        assert set(guard.copy.quads(iris.ENTAILMENTS_GRAPH)) == set(candidate.quads(iris.ENTAILMENTS_GRAPH))
    finally:
        guard.take_back(found)


def test_a_change_taken_back_leaves_the_materialisation_as_a_recomputation(guard, vocabulary):
    data, _classes = vocabulary
    ending = next(q for q in data if q.predicate.value == AKG + "lastConfirmed")
    ended = ox.Quad(ending.subject, ox.NamedNode(AKG + "endDate"), ending.object, ending.graph_name)

    def change(store):
        store._store.remove(ending)
        store._store.add(ended)

    _outcome, found = guard.apply(change)
    assert found.added == {ended} and found.removed == {ending}
    guard.reason(found)
    guard.take_back(found)
    again = OxigraphStore()
    again.add_quads(q for q in guard.copy.quads() if q.graph_name != ENTAILMENTS)
    entailment.materialise(again)
    assert set(guard.copy.quads(iris.ENTAILMENTS_GRAPH)) == set(again.quads(iris.ENTAILMENTS_GRAPH))


CASES = {  # a write of each kind the guard may meet: (update, passes, consistent)
    "a sourced alliance with three memberships": (PARTNERSHIP, True, True),
    "an end before the start": (f"""INSERT {{ GRAPH ?g {{ ?m <{AKG}endDate> "1800-01-01"^^<http://www.w3.org/2001/XMLSchema#date> }} }}
        WHERE {{ GRAPH ?g {{ ?m <{AKG}member> <https://w3id.org/alliance-kg/id/state/GRC> ; <{AKG}startDate> ?s }}
                 FILTER NOT EXISTS {{ ?m <{AKG}endDate> ?e }} }}""", False, True),
    # a source is anything with a title and a locator (CONTRACT.md): the shapes target the values of
    # prov:wasDerivedFrom, which the change names only as objects
    "a source without a title or a locator": (f"""INSERT DATA {{ GRAPH <urn:test:source> {{
        <https://w3id.org/alliance-kg/id/partnership/nato> <http://www.w3.org/ns/prov#wasDerivedFrom> <urn:test:untitled> }} }}""", False, True),
    "a literal as a source": (f"""INSERT DATA {{ GRAPH <urn:test:source> {{
        <https://w3id.org/alliance-kg/id/partnership/nato> <http://www.w3.org/ns/prov#wasDerivedFrom> "a book" }} }}""", False, True),
    "a state typed as a partnership (disjoint classes)": (f"""INSERT DATA {{ GRAPH <urn:test:clash> {{
        <https://w3id.org/alliance-kg/id/state/GRC> a <{AKG}SecurityPartnership> }} }}""", False, False),
}


@pytest.mark.parametrize("update, passes, consistent", CASES.values(), ids=CASES.keys())
def test_the_guard_and_the_full_check_agree_on_each_kind_of_write(guard, update, passes, consistent):
    _outcome, found = guard.apply(lambda store: store.update(update))
    try:
        assert found.added, "the write changes the graph"
        guard.reason(found)
        incremental = guard.check(found)
        candidate = OxigraphStore()
        candidate.add_quads(q for q in guard.copy.quads() if q.graph_name != ENTAILMENTS)
        full = check_store(candidate, guard.shapes, explain=False)
        assert incremental.ok == full.ok
        assert incremental.consistency.consistent == full.consistency.consistent
        assert {(v.focus, v.shape) for v in incremental.errors} == {(v.focus, v.shape) for v in full.errors}
    finally:
        guard.take_back(found)
    assert (incremental.ok, incremental.consistency.consistent) == (passes, consistent)


PAPER, STATES = iris.GRAPH + "data/paper/partnerships", iris.GRAPH + "data/states"
NATO = "https://w3id.org/alliance-kg/id/partnership/nato"
EVERY_FORM = {  # each form of SPARQL Update, on graphs of the shipped graph
    "INSERT DATA, named and default": f"""INSERT DATA {{ <urn:test:s> <urn:test:p> "x" .
        GRAPH <urn:test:g> {{ <urn:test:s> <urn:test:p> "y" }} }}""",
    "DELETE DATA": f"""DELETE DATA {{ GRAPH <{PAPER}> {{ <{NATO}> <{AKG}startDate> "1949-08-24"^^<http://www.w3.org/2001/XMLSchema#date> }} }}""",
    "WITH, DELETE and INSERT": f"""WITH <{PAPER}> DELETE {{ ?p <{AKG}startDate> ?d }} INSERT {{ ?p <{AKG}startDate> "1950-01-01"^^<http://www.w3.org/2001/XMLSchema#date> }}
        WHERE {{ ?p <{AKG}startDate> ?d FILTER (?p = <{NATO}>) }}""",
    "DELETE WHERE": f"""DELETE WHERE {{ GRAPH <{PAPER}> {{ <{NATO}> <http://www.w3.org/2000/01/rdf-schema#comment> ?c }} }}""",
    "a template into the default graph, reading others": f"""INSERT {{ ?s <urn:test:seen> true }} WHERE {{ GRAPH <{STATES}> {{ ?s a <{AKG}State> }} }}""",
    "a template's GRAPH ?g (any graph)": f"""INSERT {{ GRAPH ?g {{ ?m <{AKG}endDate> "2025-12-31"^^<http://www.w3.org/2001/XMLSchema#date> }} }}
        WHERE {{ GRAPH ?g {{ ?m <{AKG}member> <https://w3id.org/alliance-kg/id/state/GRC> }} }}""",
    "CLEAR, CREATE": f"CLEAR GRAPH <{PAPER}> ; CREATE GRAPH <urn:test:empty>",
    "COPY, MOVE, ADD": f"COPY <{PAPER}> TO <urn:test:copy> ; MOVE <urn:test:copy> TO <urn:test:moved> ; ADD <{STATES}> TO DEFAULT",
    "DROP": f"DROP GRAPH <{PAPER}>",
}


@pytest.mark.parametrize("update", EVERY_FORM.values(), ids=EVERY_FORM.keys())
def test_comparing_the_graphs_an_update_names_finds_the_change_comparing_everything_finds(guard, update):
    """The guard compares only the graphs an update can change (read from its parse) where it can: what it
    finds must be what comparing the whole copy finds, for every form of update."""
    from service.graph.writes import graphs_an_update_may_change
    graphs = graphs_an_update_may_change(update)
    found = {}
    for name, watched in (("named", graphs), ("everything", None)):
        _outcome, change = guard.apply(lambda store: store.update(update), watched)
        found[name] = (change.added, change.removed, change.graphs_added, change.graphs_removed)
        guard.take_back(change)
    assert found["everything"][0] or found["everything"][1], "the update changes the graph"
    assert found["named"] == found["everything"]
    if "GRAPH ?g" in update:
        assert graphs is None
    else:
        assert graphs is not None and all(q.graph_name.value in graphs for q in found["named"][0] | found["named"][1]
                                          if isinstance(q.graph_name, ox.NamedNode))
