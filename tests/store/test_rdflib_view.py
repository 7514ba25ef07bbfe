"""The rdflib view of the store (what pySHACL and HermiT's input are built from) is the store's graph,
term for term, and costs time in proportion to its size: a 3 MB literal (the red team's, issue 17
item 6) took a minute through rdflib's N-Triples parser and slowed every later guarded write."""
from __future__ import annotations

import time

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from service.store.oxigraph import OxigraphStore, to_rdflib

G = "urn:graph"


def test_every_kind_of_term_comes_across_unchanged():
    store = OxigraphStore()
    s, p = ox.NamedNode("urn:s"), ox.NamedNode("urn:p")
    blank = ox.BlankNode("b1")
    store.add_quads([ox.Quad(s, p, o, ox.NamedNode(G)) for o in (
        ox.Literal("plain"), ox.Literal("Allianz", language="de"),
        ox.Literal("2024-03-07", datatype=ox.NamedNode(str(XSD.date))), ox.NamedNode("urn:o"), blank)]
        + [ox.Quad(blank, p, ox.Literal("7", datatype=ox.NamedNode(str(XSD.integer))), ox.NamedNode(G))])
    graph = to_rdflib(store, [G])
    objects = set(graph.objects(URIRef("urn:s"), URIRef("urn:p")))
    assert {Literal("plain"), Literal("Allianz", lang="de"), Literal("2024-03-07", datatype=XSD.date),
            URIRef("urn:o")} < objects
    [node] = [o for o in objects if isinstance(o, BNode)]
    assert graph.value(node, URIRef("urn:p")) == Literal(7)
    assert len(graph) == 6
    assert len(to_rdflib(store, [])) == 0


def test_a_large_literal_is_read_in_linear_time():
    store = OxigraphStore()
    text = "x" * 3_000_000
    store.add_quads([ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), ox.Literal(text), ox.NamedNode(G))])
    started = time.perf_counter()
    graph = to_rdflib(store, [G])
    seconds = time.perf_counter() - started
    assert graph.value(URIRef("urn:a"), URIRef("urn:b")) == Literal(text)
    assert seconds < 5, f"3 MB literal took {seconds:.1f} s: the conversion is no longer linear"
