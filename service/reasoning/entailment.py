"""Materialise the ontology's consequences over the data into their own named graph.

The ontology (a few hundred axioms) is compiled once into lookup tables; a worklist reasoner then
derives, statement by statement, the OWL 2 RL consequences the project relies on: class and
property hierarchies and equivalences, inverses, domains and ranges, symmetric and transitive
properties, property chains (inverse steps included), hasValue and allValuesFrom, and the defined
classes built from intersections, unions, hasValue, someValuesFrom and datatype restrictions.
Each statement is looked at once, so the cost grows with the data, not with rounds over it.

One project rule is not OWL: `akg:memberCount`, counted from memberships in force
(see Reasoner.count_members).
owl:sameAs is deliberately not materialised: its links point at Wikidata entities, and copying
every statement onto them would double the graph without saying anything new.
"""
from __future__ import annotations

import itertools
import operator
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Iterator

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

from service import iris
from service.store.oxigraph import Store, to_rdflib

AKG = iris.AKG
TYPE = ox.NamedNode(str(RDF.type))
SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
SUBPROPERTY = ox.NamedNode(str(RDFS.subPropertyOf))
FACETS = {XSD.minInclusive: operator.ge, XSD.maxInclusive: operator.le,
          XSD.minExclusive: operator.gt, XSD.maxExclusive: operator.lt}
NUMERIC = {str(XSD[t]) for t in ("integer", "decimal", "double", "float", "int", "long", "short",
                                 "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
                                 "negativeInteger", "unsignedInt", "unsignedLong")}


@dataclass
class EntailmentReport:
    triples: int
    seconds: float
    member_counts: list  # (partnership, akg:memberCount, n) as counted, whatever else is derived


def ontology_graph(store: Store) -> Graph:
    """The ontology modules as one rdflib graph (small: the TBox only)."""
    return to_rdflib(store, [g for g in store.graphs() if g.startswith(iris.GRAPH + "ontology/")])


def _node(term):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    return None  # blank nodes of the TBox never name data


def _transitive(pairs: set[tuple]) -> dict:
    successors: dict = defaultdict(set)
    for a, b in pairs:
        successors[a].add(b)
    closure: dict = {}
    for start in list(successors):
        seen, stack = set(), list(successors[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(successors.get(node, ()))
        seen.discard(start)
        closure[start] = seen
    return closure


class Unsupported(Exception):
    """A class expression with no sufficient condition in OWL 2 RL (max cardinality, allValuesFrom)."""


# Class expressions, compiled from the TBox into tuples (None: no constraint, owl:Thing):
#   ("class", C) | ("and", [e...]) | ("or", [e...]) | ("value", P, v) | ("some", P, e | None)
#   | ("range", [(op, bound)...])      a datatype restriction on a literal
def _expression(tbox: Graph, expr):
    if isinstance(expr, URIRef):
        return None if expr == OWL.Thing else ("class", ox.NamedNode(str(expr)))
    for key, tag in ((OWL.intersectionOf, "and"), (OWL.unionOf, "or")):
        if (members := tbox.value(expr, key)) is not None:
            parts = [_expression(tbox, m) for m in Collection(tbox, members)]
            if tag == "or" and None in parts:
                return None
            parts = [p for p in parts if p is not None]
            return None if not parts else (tag, parts)
    facets = tbox.value(expr, OWL.withRestrictions)
    if tbox.value(expr, OWL.onDatatype) is not None:
        bounds = []
        for facet in Collection(tbox, facets) if facets is not None else []:
            for predicate, bound in tbox.predicate_objects(facet):
                if predicate in FACETS:
                    bounds.append((FACETS[predicate], float(bound)))
        return ("range", bounds)
    prop = tbox.value(expr, OWL.onProperty)
    if not isinstance(prop, URIRef):
        raise Unsupported(expr)
    p = ox.NamedNode(str(prop))
    if (value := tbox.value(expr, OWL.hasValue)) is not None:
        return ("value", p, _node(value))
    filler = tbox.value(expr, OWL.someValuesFrom)
    if filler is None and tbox.value(expr, OWL.minCardinality) == Literal(1, datatype=XSD.nonNegativeInteger):
        filler = OWL.Thing
    if filler is None:
        raise Unsupported(expr)
    if filler in (OWL.Thing, RDFS.Literal) or (isinstance(filler, URIRef) and str(filler).startswith(str(XSD))):
        return ("some", p, None)
    return ("some", p, _expression(tbox, filler))


def _mentions(expr, found: set) -> set:
    """Classes and properties whose change can make the expression true."""
    tag = expr[0]
    if tag == "class":
        found.add(expr[1])
    elif tag in ("and", "or"):
        for part in expr[1]:
            _mentions(part, found)
    elif tag in ("value", "some"):
        found.add(expr[1])
        if tag == "some" and expr[2] is not None:
            _mentions(expr[2], found)
    return found


def _fillers(expr, found: dict) -> dict:
    """For someValuesFrom with a class filler: filler class -> properties leading to it."""
    tag = expr[0]
    if tag in ("and", "or"):
        for part in expr[1]:
            _fillers(part, found)
    elif tag == "some" and expr[2] is not None:
        for cls in _mentions(expr[2], set()):
            found.setdefault(cls, set()).add(expr[1])
        _fillers(expr[2], found)
    return found


class Ontology:
    """The TBox as the tables the reasoner looks things up in."""

    def __init__(self, tbox: Graph):
        named = lambda t: isinstance(t, URIRef)  # noqa: E731
        n = lambda t: ox.NamedNode(str(t))  # noqa: E731
        subclass = {(a, b) for a, b in tbox.subject_objects(RDFS.subClassOf) if named(a) and named(b)}
        definitions, necessary = [], []
        for a, b in tbox.subject_objects(OWL.equivalentClass):
            if named(a) and named(b):
                subclass |= {(a, b), (b, a)}
            elif named(a) or named(b):
                definitions.append((a, b) if named(a) else (b, a))
        necessary = [(a, b) for a, b in tbox.subject_objects(RDFS.subClassOf) if named(a) and not named(b)]
        necessary += definitions
        for cls, expr in list(necessary):
            if (members := tbox.value(expr, OWL.intersectionOf)) is not None:
                for member in Collection(tbox, members):
                    (subclass.add((cls, member)) if named(member) else necessary.append((cls, member)))
        # the told edges (subClassOf, named equivalences, the named parts of definitions), which an
        # explanation of the closure walks
        self.direct_subclass_pairs = {(n(a), n(b)) for a, b in subclass if b != OWL.Thing}
        self.subclass_pairs = {(n(a), n(b)) for a, bs in _transitive(subclass).items() for b in bs
                               if b != OWL.Thing}
        self.super_classes = defaultdict(set)
        for a, b in self.subclass_pairs:
            self.super_classes[a].add(b)

        subproperty = {(a, b) for a, b in tbox.subject_objects(RDFS.subPropertyOf) if named(a) and named(b)}
        for a, b in tbox.subject_objects(OWL.equivalentProperty):
            subproperty |= {(a, b), (b, a)}
        self.direct_subproperty_pairs = {(n(a), n(b)) for a, b in subproperty}
        self.subproperty_pairs = {(n(a), n(b)) for a, bs in _transitive(subproperty).items() for b in bs}
        self.super_properties = defaultdict(set)
        for a, b in self.subproperty_pairs:
            self.super_properties[a].add(b)
        self.inverses = defaultdict(set)
        for a, b in tbox.subject_objects(OWL.inverseOf):
            if named(a) and named(b):
                self.inverses[n(a)].add(n(b))
                self.inverses[n(b)].add(n(a))
        object_properties = {n(p) for p in tbox.subjects(RDF.type, OWL.ObjectProperty)}
        self.symmetric = {n(p) for p in tbox.subjects(RDF.type, OWL.SymmetricProperty)}
        self.transitive = {n(p) for p in tbox.subjects(RDF.type, OWL.TransitiveProperty)}
        self.domains, self.ranges = defaultdict(set), defaultdict(set)
        for p, c in tbox.subject_objects(RDFS.domain):
            if named(p) and named(c):
                self.domains[n(p)].add(n(c))
        for p, c in tbox.subject_objects(RDFS.range):
            if named(p) and named(c) and n(p) in object_properties:
                self.ranges[n(p)].add(n(c))

        self.chains = defaultdict(list)  # property -> [(position, steps, result)]
        for prop, chain in tbox.subject_objects(OWL.propertyChainAxiom):
            steps = []
            for step in Collection(tbox, chain):
                inverse = tbox.value(step, OWL.inverseOf) if not named(step) else None
                steps.append((n(step), False) if named(step) else (n(inverse), True) if named(inverse) else None)
            if named(prop) and steps and None not in steps:
                for position, (p, _inverted) in enumerate(steps):
                    self.chains[p].append((position, steps, n(prop)))

        self.has_values, self.all_values = defaultdict(list), defaultdict(list)
        for cls, expr in necessary:
            prop = tbox.value(expr, OWL.onProperty)
            if not named(prop):
                continue
            if (value := tbox.value(expr, OWL.hasValue)) is not None:
                self.has_values[n(cls)].append((n(prop), _node(value)))
            filler = tbox.value(expr, OWL.allValuesFrom)
            if named(filler) and filler not in (OWL.Thing, RDFS.Literal) and n(prop) in object_properties:
                self.all_values[n(cls)].append((n(prop), n(filler)))

        self.definitions = []
        for cls, expr in sorted(definitions):
            try:
                compiled = _expression(tbox, expr)
            except Unsupported:
                continue
            if compiled is not None:
                self.definitions.append((n(cls), compiled))
        self.triggered_by = defaultdict(list)   # class or property -> definitions to re-check
        self.filler_links = defaultdict(set)    # filler class -> properties whose subjects to re-check
        for definition in self.definitions:
            for term in _mentions(definition[1], set()):
                self.triggered_by[term].append(definition)
            for cls, props in _fillers(definition[1], {}).items():
                self.filler_links[cls] |= props
        self.properties = (object_properties | {n(p) for p in tbox.subjects(RDF.type, OWL.DatatypeProperty)}
                           | set(self.super_properties) | set(self.inverses) | set(self.chains))


class Reasoner:
    """Forward chaining to a fixpoint, one statement at a time.

    Terms are interned as integers: Python hashes those far faster than pyoxigraph terms, and the
    reasoner's work is almost all dictionary look-ups."""

    def __init__(self, ontology: Ontology):
        self.ids: dict = {}
        self.terms: list = []
        self.literal: list[bool] = []
        i, ids = self.intern, self.intern_all
        o = ontology
        self.type = i(TYPE)
        self.super_classes = {i(a): ids(b) for a, b in o.super_classes.items()}
        self.super_properties = {i(a): ids(b) for a, b in o.super_properties.items()}
        self.inverses = {i(a): ids(b) for a, b in o.inverses.items()}
        self.symmetric, self.transitive = set(ids(o.symmetric)), set(ids(o.transitive))
        def with_supers(classes):  # domains and ranges come with their superclasses, derived closed
            return ids(sorted(set(classes) | {d for c in classes for d in o.super_classes.get(c, ())},
                              key=lambda t: t.value))
        self.domains = {i(a): with_supers(b) for a, b in o.domains.items()}
        self.ranges = {i(a): with_supers(b) for a, b in o.ranges.items()}
        self.chains = {i(p): [(pos, [(i(q), inv) for q, inv in steps], i(result)) for pos, steps, result in links]
                       for p, links in o.chains.items()}
        self.has_values = {i(c): [(i(p), i(v)) for p, v in pairs] for c, pairs in o.has_values.items()}
        self.all_values = {i(c): [(i(p), i(d)) for p, d in pairs] for c, pairs in o.all_values.items()}
        self.filler_links = {i(c): ids(props) for c, props in o.filler_links.items()}
        compiled = {id(d): (i(d[0]), self._compile(d[1])) for d in o.definitions}
        self.definitions = list(compiled.values())
        self.triggered_by = {i(t): [compiled[id(d)] for d in ds] for t, ds in o.triggered_by.items()}
        self.out: dict = {}
        self.into: dict = {}
        self.derived: list = []
        self.queue: deque = deque()
        self.numbers: dict = {}
        self.class_actions: dict = {}
        self.property_actions: dict = {}
        self.counted: list = []

    def intern(self, term) -> int:
        number = self.ids.get(term)
        if number is None:
            number = self.ids[term] = len(self.terms)
            self.terms.append(term)
            self.literal.append(isinstance(term, ox.Literal))
        return number

    def intern_all(self, terms) -> list[int]:
        return [self.intern(t) for t in terms]

    def _compile(self, expr):
        tag = expr[0]
        if tag == "class":
            return ("class", self.intern(expr[1]))
        if tag in ("and", "or"):
            return (tag, [self._compile(e) for e in expr[1]])
        if tag == "value":
            return ("value", self.intern(expr[1]), self.intern(expr[2]))
        if tag == "some":
            return ("some", self.intern(expr[1]), None if expr[2] is None else self._compile(expr[2]))
        return expr  # ("range", bounds)

    def assert_(self, s, p, o) -> None:
        s, p, o = self.intern(s), self.intern(p), self.intern(o)
        if self._index(s, p, o):
            self.queue.append((s, p, o, False))

    # A subject's values of a property (and an object's subjects) are held as the one int while
    # there is one, as a set from the second on: most pairs have one, and an empty set alone is
    # 216 bytes (at 1M triples the build peaks at 981 MB instead of 1,156 MB).
    def _index(self, s: int, p: int, o: int) -> bool:
        properties = self.out.get(s)
        if properties is None:
            properties = self.out[s] = {}
        values = properties.get(p)
        if values is None:
            properties[p] = o
        elif values.__class__ is int:
            if values == o:
                return False
            properties[p] = {values, o}
        elif o in values:
            return False
        else:
            values.add(o)
        if not self.literal[o]:
            back = self.into.get(o)
            if back is None:
                back = self.into[o] = {}
            subjects = back.get(p)
            if subjects is None:
                back[p] = s
            elif subjects.__class__ is int:
                back[p] = {subjects, s}
            else:
                subjects.add(s)
        return True

    def _derive(self, s: int, p: int, o: int, closed: bool = False) -> None:
        """Record a new statement and queue it. `closed`: a type whose superclasses are being derived
        already (the superclass table is transitive), so processing it need not derive them again."""
        if not self.literal[s] and self._index(s, p, o):
            self.derived.append((s, p, o))
            self.queue.append((s, p, o, closed))

    def _values(self, s: int, p: int):
        values = self.out.get(s, {}).get(p, ())
        return (values,) if values.__class__ is int else values

    def _subjects(self, o: int, p: int):
        subjects = self.into.get(o, {}).get(p, ())
        return (subjects,) if subjects.__class__ is int else subjects

    def _class_action(self, cls: int):
        """Everything a new `rdf:type cls` statement sets off, found with one look-up."""
        action = (self.super_classes.get(cls, ()), self.has_values.get(cls, ()), self.all_values.get(cls, ()),
                  self.filler_links.get(cls, ()), self.triggered_by.get(cls, ()))
        self.class_actions[cls] = action if any(action) else None
        return self.class_actions[cls]

    def _property_action(self, p: int):
        """Everything a new statement with property p sets off, found with one look-up."""
        action = (self.super_properties.get(p, ()), self.inverses.get(p, ()), p in self.symmetric,
                  p in self.transitive, self.ranges.get(p, ()), self.chains.get(p, ()),
                  self.domains.get(p, ()), self.triggered_by.get(p, ()),
                  [(c, f) for c, pairs in self.all_values.items() for q, f in pairs if q == p])
        self.property_actions[p] = action if any(action) else None
        return self.property_actions[p]

    def run(self) -> None:
        derive, queue, type_ = self._derive, self.queue, self.type
        class_actions, property_actions = self.class_actions, self.property_actions
        while queue:
            s, p, v, closed = queue.popleft()
            if p == type_:
                action = class_actions[v] if v in class_actions else self._class_action(v)
                if action is None:
                    continue
                supers, has_values, all_values, filler_links, triggers = action
                if not closed:
                    for cls in supers:
                        derive(s, type_, cls, True)
                for prop, value in has_values:
                    derive(s, prop, value)
                for prop, filler in all_values:
                    for y in list(self._values(s, prop)):
                        derive(y, type_, filler)
                for prop in filler_links:
                    for x in list(self._subjects(s, prop)):
                        self._check(x, self.definitions)
                if triggers:
                    self._check(s, triggers)
                continue
            action = property_actions[p] if p in property_actions else self._property_action(p)
            if action is None:
                continue
            supers, inverses, symmetric, transitive, ranges, chains, domains, triggers, all_values = action
            for q in supers:
                derive(s, q, v)
            if not self.literal[v]:
                for q in inverses:
                    derive(v, q, s)
                if symmetric:
                    derive(v, p, s)
                if transitive:
                    for z in list(self._values(v, p)):
                        derive(s, p, z)
                    for w in list(self._subjects(s, p)):
                        derive(w, p, v)
                for cls in ranges:
                    derive(v, type_, cls, True)
                for position, steps, result in chains:
                    self._chain(s, v, position, steps, result)
                if all_values:
                    types = self._values(s, type_)
                    for cls, filler in all_values:
                        if cls in types:
                            derive(v, type_, filler)
            for cls in domains:
                derive(s, type_, cls, True)
            if triggers:
                self._check(s, triggers)

    def _step(self, node: int, step, backwards: bool = False):
        prop, inverted = step
        return self._values(node, prop) if inverted == backwards else self._subjects(node, prop)

    def _chain(self, s, v, position, steps, result) -> None:
        """A new link at `position` of a chain: walk the steps after it forward, those before it back."""
        start, end = (v, s) if steps[position][1] else (s, v)
        heads = {start}
        for step in reversed(steps[:position]):
            heads = {y for x in heads for y in self._step(x, step, backwards=True)}
        tails = {end}
        for step in steps[position + 1:]:
            tails = {y for x in tails for y in self._step(x, step)}
        for head in heads:
            for tail in tails:
                if not self.literal[tail]:
                    self._derive(head, result, tail)

    def _check(self, x: int, definitions) -> None:
        types = self._values(x, self.type)
        for cls, expr in definitions:
            if cls not in types and self._holds(expr, x):
                self._derive(x, self.type, cls)

    def _holds(self, expr, x: int) -> bool:
        tag = expr[0]
        if tag == "class":
            return expr[1] in self._values(x, self.type)
        if tag == "and":
            return all(self._holds(e, x) for e in expr[1])
        if tag == "or":
            return any(self._holds(e, x) for e in expr[1])
        if tag == "value":
            return expr[2] in self._values(x, expr[1])
        if tag == "some":
            inner = expr[2]
            return any(inner is None or self._holds(inner, y) for y in self._values(x, expr[1]))
        number = self._number(x)  # ("range", bounds)
        return number is not None and all(test(number, bound) for test, bound in expr[1])

    def _number(self, x: int):
        if x not in self.numbers:
            term = self.terms[x]
            numeric = self.literal[x] and term.datatype.value in NUMERIC
            self.numbers[x] = float(term.value) if numeric else None
        return self.numbers[x]

    def count_members(self) -> None:
        """akg:memberCount, the project's one rule beyond OWL: the members at the latest date the
        graph records. Those whose membership has not ended (or, for a partnership that has ended,
        had not ended before it); for a partnership known only by `hasMember`, those members. A
        partnership whose member list is partial (`akg:membersComplete false`) gets no count. A count
        asserted, or implied by an asserted size class, is left for the consistency check to judge."""
        for p in list(self._subjects(self.count_terms()["SecurityPartnership"], self.type)):
            count = self.member_count(p)
            if count is not None:
                self.counted.append((self.terms[p], self.terms[self.count_terms()["memberCount"]], self.terms[count]))
                self._derive(p, self.count_terms()["memberCount"], count)

    def count_terms(self) -> dict:
        """The terms the member count reads, interned once."""
        if not hasattr(self, "_count_terms"):
            self._count_terms = {name: self.intern(ox.NamedNode(AKG + name)) for name in (
                "SecurityPartnership", "hasMembership", "member", "hasMember", "endDate", "membersComplete",
                "memberCount")}
            self._count_terms["false"] = self.intern(ox.Literal("false", datatype=ox.NamedNode(str(XSD.boolean))))
        return self._count_terms

    def member_count(self, p: int) -> int | None:
        """The interned akg:memberCount literal of partnership p as the index stands, or None (see count_members)."""
        members = self.members_counted(p)
        if not members:
            return None
        return self.intern(ox.Literal(str(len(members)), datatype=ox.NamedNode(str(XSD.integer))))

    def members_counted(self, p: int) -> dict | None:
        """The members the count of partnership p counts, each with the memberships that count it (empty
        for a member known only by `hasMember`); None when p gets no count (see count_members)."""
        ids = self.count_terms()
        if ids["SecurityPartnership"] not in self._values(p, self.type):
            return None
        if ids["false"] in self._values(p, ids["membersComplete"]):
            return None
        memberships = self._values(p, ids["hasMembership"])
        members: dict = {}
        if memberships:
            ends = [self.terms[e].value for e in self._values(p, ids["endDate"])]
            for ms in memberships:
                left = [self.terms[e].value for e in self._values(ms, ids["endDate"])]
                if not left or (ends and min(left) >= min(ends)):
                    for member in self._values(ms, ids["member"]):
                        members.setdefault(member, []).append(ms)
        else:
            members = {member: [] for member in self._values(p, ids["hasMember"])}
        return members

    def forget_index(self) -> None:
        """Let go of the statement index, most of the reasoner's memory (at 1M triples, about 300 MB), once
        nothing more is to be derived: only the derived statements and their terms are kept."""
        self.ids = self.out = self.into = self.numbers = self.class_actions = self.property_actions = None

    def derived_triples(self) -> Iterator[tuple]:
        terms = self.terms
        return ((terms[s], terms[p], terms[o]) for s, p, o in self.derived)


def materialise(store: Store, ontology: Ontology | None = None) -> EntailmentReport:
    """Recompute the entailments graph from scratch over everything else in the store."""
    started = time.perf_counter()
    ontology = ontology or Ontology(ontology_graph(store))
    store.replace_graph(iris.ENTAILMENTS_GRAPH, [])
    reasoner = Reasoner(ontology)
    predicates = sorted(ontology.properties | {TYPE}, key=lambda t: t.value)
    for t in _statements(store, predicates):
        reasoner.assert_(t.subject, t.predicate, t.object)
    reasoner.run()
    reasoner.count_members()
    reasoner.run()
    schema = [(a, SUBCLASS, b) for a, b in ontology.subclass_pairs]
    schema += [(a, SUBPROPERTY, b) for a, b in ontology.subproperty_pairs]
    asserted_schema = {(t.subject, t.predicate, t.object) for t in _statements(store, [SUBCLASS, SUBPROPERTY])}
    # the schema's own closure too, so that plain rdfs:subClassOf answers what rdfs:subClassOf* does
    schema = [t for t in schema if t not in asserted_schema]
    reasoner.forget_index()  # before the store grows by the entailments: the two need not be held at once
    graph = ox.NamedNode(iris.ENTAILMENTS_GRAPH)  # streamed: no list of every derived triple's terms
    store.add_quads(ox.Quad(s, p, o, graph) for s, p, o in itertools.chain(reasoner.derived_triples(), schema))
    return EntailmentReport(len(reasoner.derived) + len(schema), time.perf_counter() - started, reasoner.counted)


def _statements(store: Store, predicates: list):
    """Every asserted statement with one of these predicates (the entailments graph left out)."""
    direct = getattr(store, "statements", None)
    if direct is not None:
        return direct(predicates, exclude_graph=iris.ENTAILMENTS_GRAPH)
    values = " ".join(f"<{p.value}>" for p in predicates)
    graphs = [g for g in store.graphs() if g != iris.ENTAILMENTS_GRAPH] + [""]
    return store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o }}",
                       default_graphs=graphs).triples()
