"""The materialiser draws the ontology's consequences, and owlrl agrees with it."""
from __future__ import annotations

import owlrl
import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from service.reasoning import entailment
from service import iris
from service.store import loader
from service.config import load_config
from service.store.oxigraph import OxigraphStore

EX = Namespace("http://example.org/")
AKG = Namespace(iris.AKG)

TBOX = f"""
@prefix : <http://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix akg: <{iris.AKG}> .
:A rdfs:subClassOf :B . :B rdfs:subClassOf :C . :D owl:equivalentClass :A .
:p a owl:ObjectProperty ; rdfs:subPropertyOf :q ; rdfs:domain :Dom ; rdfs:range :Rng ; owl:inverseOf :pInv .
:q a owl:ObjectProperty .
:s a owl:ObjectProperty , owl:SymmetricProperty . :t a owl:ObjectProperty , owl:TransitiveProperty .
:chain a owl:ObjectProperty ; owl:propertyChainAxiom ( :p :t ) .
:Defined owl:equivalentClass [ owl:intersectionOf ( :C [ a owl:Restriction ; owl:onProperty :q ; owl:someValuesFrom :Rng ] ) ] .
:Valued owl:equivalentClass [ a owl:Restriction ; owl:onProperty :colour ; owl:hasValue :red ] .
:colour a owl:ObjectProperty .
:Small owl:equivalentClass [ owl:intersectionOf ( :C [ a owl:Restriction ; owl:onProperty :size ;
    owl:someValuesFrom [ a rdfs:Datatype ; owl:onDatatype xsd:integer ;
                         owl:withRestrictions ( [ xsd:minInclusive 3 ] [ xsd:maxInclusive 7 ] ) ] ] ) ] .
:size a owl:DatatypeProperty .
"""
ABOX = """
@prefix : <http://example.org/> .
:x a :A ; :p :y . :y :t :z . :z :t :w . :u :s :v . :k :colour :red . :m a :Valued .
:n a :C ; :size 5 . :o a :C ; :size 9 .
"""


@pytest.fixture()
def small_store():
    store = OxigraphStore()
    for text, graph in [(TBOX, iris.ontology_graph("core")), (ABOX, iris.data_graph("test"))]:
        for quad in ox.parse(input=text.encode(), format=ox.RdfFormat.TURTLE):
            store.add_quads([ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(graph))])
    return store


def entailed(store) -> Graph:
    graph = Graph()
    result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=[iris.ENTAILMENTS_GRAPH])
    graph.parse(data=result.serialize("application/n-triples").decode(), format="nt")
    return graph


def test_each_rule_family(small_store):
    report = entailment.materialise(small_store)
    g = entailed(small_store)
    expected = [
        (EX.x, RDF.type, EX.B), (EX.x, RDF.type, EX.C), (EX.x, RDF.type, EX.D),   # hierarchy, equivalence
        (EX.x, EX.q, EX.y), (EX.y, EX.pInv, EX.x),                                # sub-property, inverse
        (EX.x, RDF.type, EX.Dom), (EX.y, RDF.type, EX.Rng),                        # domain, range
        (EX.v, EX.s, EX.u), (EX.y, EX.t, EX.w),                                    # symmetric, transitive
        (EX.x, EX.chain, EX.z),                                                     # property chain
        (EX.x, RDF.type, EX.Defined),                                               # defined class
        (EX.k, RDF.type, EX.Valued), (EX.m, EX.colour, EX.red),                     # hasValue both ways
        (EX.n, RDF.type, EX.Small),                                                 # datatype restriction
        (EX.A, RDFS.subClassOf, EX.C),
    ]
    missing = [t for t in expected if t not in g]
    assert not missing
    assert (EX.o, RDF.type, EX.Small) not in g
    assert (EX.x, RDF.type, EX.A) not in g, "asserted triples are not repeated in the entailments graph"
    assert report.triples == len(g)


def test_agrees_with_owlrl_on_the_project_vocabulary(small_store):
    entailment.materialise(small_store)
    ours = entailed(small_store)
    union = Graph()
    union.parse(data=small_store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
                                       f"FILTER(?g != <{iris.ENTAILMENTS_GRAPH}>) }}")
                .serialize("application/n-triples").decode(), format="nt")
    reference = Graph()
    reference += union
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(reference)

    def relevant(graph):
        return {(s, p, o) for s, p, o in graph - union
                if isinstance(s, URIRef) and str(s).startswith(str(EX)) and str(p).startswith((str(EX), str(RDF.type)))
                and not isinstance(o, BNode) and (not isinstance(o, URIRef) or str(o).startswith(str(EX)))}
    # owlrl has no datatype facets: the one class defined by a numeric range is ours alone
    assert relevant(ours) - {(EX.n, RDF.type, EX.Small)} == relevant(reference)


def test_recomputing_replaces_the_old_entailments(small_store):
    entailment.materialise(small_store)
    first = len(entailed(small_store))
    entailment.materialise(small_store)
    assert len(entailed(small_store)) == first


def test_member_count_counts_current_members():
    config = load_config()
    store = OxigraphStore()
    store.add_quads(loader.read_all([f for f in loader.source_files(config["ONTOLOGY_DIR"], config["DATA_DIR"])
                                     if f.graph.startswith(iris.GRAPH + "ontology/")]))
    ttl = f"""@prefix akg: <{iris.AKG}> . @prefix : <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    :p a akg:SecurityPartnership ; akg:hasMembership :m1 , :m2 , :m3 .
    :m1 akg:member :a ; akg:startDate "2000-01-01"^^xsd:date .
    :m2 akg:member :b ; akg:startDate "2000-01-01"^^xsd:date .
    :m3 akg:member :c ; akg:startDate "2000-01-01"^^xsd:date ; akg:endDate "2010-01-01"^^xsd:date .
    :p akg:hasMember :a , :b , :c .
    :q a akg:SecurityPartnership ; akg:hasMember :a , :b , :c ; akg:membersComplete false .
    :r a akg:SecurityPartnership ; akg:hasMember :a , :b , :c , :d ."""
    for quad in ox.parse(input=ttl.encode(), format=ox.RdfFormat.TURTLE):
        store.add_quads([ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(iris.data_graph("t")))])
    entailment.materialise(store)
    counts = {row["p"].value: int(row["n"].value) for row in store.query(
        f"SELECT ?p ?n WHERE {{ ?p <{iris.AKG}memberCount> ?n }}", default_graphs=None).rows()}
    assert counts == {str(EX.p): 2, str(EX.r): 4}
