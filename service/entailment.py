"""Materialise the ontology's consequences over the data into their own named graph.

The ontology (a few hundred axioms) is compiled once into SPARQL rules with the class and property
IRIs filled in; Oxigraph runs them to a fixpoint over the data. This is the OWL 2 RL subset the
project relies on (hierarchies, equivalences, inverses, domains and ranges, symmetric and transitive
properties, two-step property chains, defined classes built from intersections, hasValue,
someValuesFrom and datatype restrictions), plus one project rule: `akg:memberCount`.
owl:sameAs is deliberately not materialised: its links point at Wikidata entities, and copying
every statement onto them would double the graph without saying anything new.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

from . import iris
from .store import Store

AKG = iris.AKG
FACETS = {XSD.minInclusive: ">=", XSD.maxInclusive: "<=", XSD.minExclusive: ">", XSD.maxExclusive: "<"}


@dataclass
class RuleSet:
    """SPARQL CONSTRUCT queries, each yielding only triples not yet in the graph."""

    rules: list[tuple[str, str]] = field(default_factory=list)  # (name, query)

    def add(self, name: str, template: str, where: str) -> None:
        self.rules.append((name, f"CONSTRUCT {{ {template} }} WHERE {{ {where} FILTER NOT EXISTS {{ {template} }} }}"))

    def add_table(self, name: str, columns: str, rows: list[tuple], template: str, where: str) -> None:
        if not rows:
            return
        values = " ".join("(" + " ".join(t.n3() for t in row) + ")" for row in sorted(set(rows)))
        self.add(name, template, f"VALUES ({columns}) {{ {values} }} {where}")


@dataclass
class EntailmentReport:
    triples: int
    rounds: int
    seconds: float


def ontology_graph(store: Store) -> Graph:
    """The ontology modules as one rdflib graph (small: the TBox only)."""
    modules = [g for g in store.graphs() if g.startswith(iris.GRAPH + "ontology/")]
    result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=modules)
    graph = Graph()
    graph.parse(data=result.serialize("application/n-triples").decode(), format="nt")
    return graph


def _transitive(pairs: set[tuple]) -> set[tuple]:
    closure = set(pairs)
    successors: dict = {}
    for a, b in pairs:
        successors.setdefault(a, set()).add(b)
    for start in list(successors):
        seen, stack = set(), list(successors[start])
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(successors.get(node, ()))
        closure.update((start, node) for node in seen if node != start)
    return closure


class _Compiler:
    """Class expressions to SPARQL graph patterns (the sufficient direction of a definition)."""

    def __init__(self, tbox: Graph):
        self.tbox = tbox
        self.fresh = (f"?v{i}" for i in itertools.count())

    def pattern(self, expr, var: str) -> str | None:
        g = self.tbox
        if isinstance(expr, URIRef):
            return f"{var} a {expr.n3()} ." if expr != OWL.Thing else None
        if (members := g.value(expr, OWL.intersectionOf)) is not None:
            parts = [self.pattern(m, var) for m in Collection(g, members)]
            return None if None in parts else " ".join(parts)
        if (members := g.value(expr, OWL.unionOf)) is not None:
            parts = [self.pattern(m, var) for m in Collection(g, members)]
            return None if None in parts else " UNION ".join("{ " + p + " }" for p in parts)
        prop = g.value(expr, OWL.onProperty)
        if prop is None or not isinstance(prop, URIRef):
            return None
        if (value := g.value(expr, OWL.hasValue)) is not None:
            return f"{var} {prop.n3()} {value.n3()} ."
        filler = g.value(expr, OWL.someValuesFrom)
        if filler is None and (g.value(expr, OWL.minCardinality) == Literal(1, datatype=XSD.nonNegativeInteger)):
            filler = OWL.Thing
        if filler is None:
            return None  # max cardinality, allValuesFrom: not derivable in OWL 2 RL's sufficient direction
        value = next(self.fresh)
        head = f"{var} {prop.n3()} {value} ."
        if filler in (OWL.Thing, RDFS.Literal):
            return head
        if (g.value(filler, RDF.type) == RDFS.Datatype) or g.value(filler, OWL.onDatatype) is not None:
            return head + self._datatype_filter(filler, value)
        if isinstance(filler, URIRef) and str(filler).startswith(str(XSD)):
            return head + f" FILTER(datatype({value}) = {filler.n3()})"
        inner = self.pattern(filler, value)
        return None if inner is None else f"{head} {inner}"

    def _datatype_filter(self, restriction, value: str) -> str:
        g = self.tbox
        tests = [f"isNumeric({value})"]
        facets = g.value(restriction, OWL.withRestrictions)
        for facet in Collection(g, facets) if facets is not None else []:
            for predicate, bound in g.predicate_objects(facet):
                if predicate in FACETS:
                    tests.append(f"{value} {FACETS[predicate]} {bound.n3()}")
        return " FILTER(" + " && ".join(tests) + ")"


def compile_rules(tbox: Graph) -> RuleSet:
    rules = RuleSet()
    named = lambda t: isinstance(t, URIRef)  # noqa: E731

    subclass = {(a, b) for a, b in tbox.subject_objects(RDFS.subClassOf) if named(a) and named(b)}
    definitions = []  # (class, expression) pairs where the expression is anonymous
    for a, b in tbox.subject_objects(OWL.equivalentClass):
        if named(a) and named(b):
            subclass |= {(a, b), (b, a)}
        elif named(a):
            definitions.append((a, b))
        elif named(b):
            definitions.append((b, a))
    necessary = [(a, b) for a, b in tbox.subject_objects(RDFS.subClassOf) if named(a) and not named(b)]
    necessary += definitions
    # the named parts of an intersection on the superclass side are superclasses (cls-int2)
    for cls, expr in list(necessary):
        if (members := tbox.value(expr, OWL.intersectionOf)) is not None:
            for member in Collection(tbox, members):
                (subclass.add((cls, member)) if named(member) else necessary.append((cls, member)))
    subclass = {(a, b) for a, b in _transitive(subclass) if a != b and b != OWL.Thing}

    subproperty = {(a, b) for a, b in tbox.subject_objects(RDFS.subPropertyOf) if named(a) and named(b)}
    for a, b in tbox.subject_objects(OWL.equivalentProperty):
        subproperty |= {(a, b), (b, a)}
    subproperty = {(a, b) for a, b in _transitive(subproperty) if a != b}
    inverse = {(a, b) for a, b in tbox.subject_objects(OWL.inverseOf) if named(a) and named(b)}
    inverse |= {(b, a) for a, b in inverse}
    object_properties = set(tbox.subjects(RDF.type, OWL.ObjectProperty))

    rules.add_table("scm-sco", "?c ?d", subclass, "?c rdfs:subClassOf ?d .", "")
    rules.add_table("scm-spo", "?p ?q", subproperty, "?p rdfs:subPropertyOf ?q .", "")
    rules.add_table("cax-sco", "?c ?d", subclass, "?x a ?d .", "?x a ?c .")
    rules.add_table("prp-spo1", "?p ?q", subproperty, "?x ?q ?y .", "?x ?p ?y .")
    rules.add_table("prp-inv", "?p ?q", inverse, "?y ?q ?x .", "?x ?p ?y .")
    rules.add_table("prp-dom", "?p ?c", [(p, c) for p, c in tbox.subject_objects(RDFS.domain) if named(c)],
                    "?x a ?c .", "?x ?p ?y .")
    rules.add_table("prp-rng", "?p ?c", [(p, c) for p, c in tbox.subject_objects(RDFS.range)
                                          if named(c) and p in object_properties],
                    "?y a ?c .", "?x ?p ?y . FILTER(!isLiteral(?y))")
    rules.add_table("prp-symp", "?p", [(p,) for p in tbox.subjects(RDF.type, OWL.SymmetricProperty)],
                    "?y ?p ?x .", "?x ?p ?y .")
    rules.add_table("prp-trp", "?p", [(p,) for p in tbox.subjects(RDF.type, OWL.TransitiveProperty)],
                    "?x ?p ?z .", "?x ?p ?y . ?y ?p ?z .")
    for prop, chain in tbox.subject_objects(OWL.propertyChainAxiom):
        steps = []
        for step in Collection(tbox, chain):
            inverse_of = tbox.value(step, OWL.inverseOf) if not named(step) else None
            steps.append(step.n3() if named(step) else f"^{inverse_of.n3()}" if named(inverse_of) else None)
        if named(prop) and steps and None not in steps:
            rules.add(f"prp-spo2 {prop}", f"?x {prop.n3()} ?z .", f"?x {'/'.join(steps)} ?z .")

    compiler = _Compiler(tbox)
    for cls, expr in sorted(definitions):
        where = compiler.pattern(expr, "?x")
        if where:
            rules.add(f"cls-def {cls}", f"?x a {cls.n3()} .", where)
    for cls, expr in necessary:
        prop, value = tbox.value(expr, OWL.onProperty), tbox.value(expr, OWL.hasValue)
        if named(prop) and value is not None:
            rules.add(f"cls-hv1 {cls}", f"?x {prop.n3()} {value.n3()} .", f"?x a {cls.n3()} .")
        filler = tbox.value(expr, OWL.allValuesFrom)
        if named(prop) and named(filler) and filler not in (OWL.Thing, RDFS.Literal) and prop in object_properties:
            rules.add(f"cls-avf {cls}", f"?y a {filler.n3()} .", f"?x a {cls.n3()} ; {prop.n3()} ?y .")
    return rules


MEMBER_COUNT = f"""
PREFIX akg: <{AKG}>
CONSTRUCT {{ ?p akg:memberCount ?n }} WHERE {{
  {{ SELECT ?p (COUNT(DISTINCT ?m) AS ?n) WHERE {{
      ?p a akg:SecurityPartnership ; akg:hasMember ?m .
      FILTER NOT EXISTS {{ ?p akg:membersComplete false }}
      OPTIONAL {{ ?p akg:endDate ?end }}
      FILTER (NOT EXISTS {{ ?p akg:hasMembership ?any . ?any akg:member ?m }}
              || EXISTS {{ ?p akg:hasMembership ?ms . ?ms akg:member ?m .
                           FILTER NOT EXISTS {{ ?ms akg:endDate ?left FILTER(!BOUND(?end) || ?left < ?end) }} }})
  }} GROUP BY ?p }}
  FILTER NOT EXISTS {{ ?p akg:memberCount ?asserted }}
}}"""
"""The members at the latest date the graph records: those whose membership has not ended (or, for
a partnership that has ended, had not ended before it); for a partnership known only by asserted
`hasMember`, those members. A partnership whose member list is partial gets no count."""

PROLOGUE = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def materialise(store: Store, rules: RuleSet | None = None, max_rounds: int = 50) -> EntailmentReport:
    """Recompute the entailments graph from scratch over everything else in the store."""
    started = time.perf_counter()
    rules = rules or compile_rules(ontology_graph(store))
    store.replace_graph(iris.ENTAILMENTS_GRAPH, [])
    entailed: set[ox.Triple] = set()
    rounds = 0
    for phase in ("owl", "count", "owl"):
        queries = [(n, PROLOGUE + q) for n, q in rules.rules] if phase == "owl" else [("memberCount", MEMBER_COUNT)]
        while rounds < max_rounds:
            rounds += 1
            new = set()
            for _name, query in queries:
                new.update(store.query(query).triples())
            new -= entailed
            if not new:
                break
            entailed |= new
            store.add_quads(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(iris.ENTAILMENTS_GRAPH))
                            for t in new)
            if phase == "count":
                break
    return EntailmentReport(len(entailed), rounds, time.perf_counter() - started)
