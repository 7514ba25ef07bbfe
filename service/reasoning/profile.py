"""OWL 2 DL conditions HermiT does not report by itself: illegal punning, undeclared properties,
values of the wrong kind, non-simple properties where only simple ones may stand, and datatypes
outside the OWL 2 datatype map in axioms. (Punning a class as an individual is legal OWL 2 DL.)"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

PROPERTY_KINDS = {OWL.ObjectProperty: "object property", OWL.DatatypeProperty: "datatype property",
                  OWL.AnnotationProperty: "annotation property"}
BUILT_IN = {RDF.type, RDF.first, RDF.rest, RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy,
            RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.sameAs, OWL.differentFrom,
            OWL.versionInfo, OWL.versionIRI, OWL.imports, OWL.priorVersion, OWL.deprecated}
SIMPLE_ONLY_TYPES = {OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.IrreflexiveProperty,
                     OWL.AsymmetricProperty}
CARDINALITIES = {OWL.cardinality, OWL.minCardinality, OWL.maxCardinality, OWL.qualifiedCardinality,
                 OWL.minQualifiedCardinality, OWL.maxQualifiedCardinality}
DATATYPE_MAP = {RDFS.Literal, RDF.PlainLiteral, RDF.XMLLiteral, OWL.real, OWL.rational} | {XSD[n] for n in (
    "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short "
    "byte unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString token "
    "language Name NCName NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp").split()}


@dataclass(frozen=True)
class ProfileViolation:
    rule: str
    subject: str
    detail: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def non_simple_properties(tbox: Graph) -> set:
    composite = set(tbox.subjects(OWL.propertyChainAxiom, None)) | set(tbox.subjects(RDF.type, OWL.TransitiveProperty))
    below: dict = {}
    for sub, sup in tbox.subject_objects(RDFS.subPropertyOf):
        below.setdefault(sup, set()).add(sub)
    for a, b in tbox.subject_objects(OWL.equivalentProperty):
        below.setdefault(a, set()).add(b)
        below.setdefault(b, set()).add(a)
    non_simple = set(composite)
    changed = True
    while changed:
        changed = False
        for sup, subs in below.items():
            if sup not in non_simple and subs & non_simple:
                non_simple.add(sup)
                changed = True
    for a, b in tbox.subject_objects(OWL.inverseOf):
        if a in non_simple or b in non_simple:
            non_simple |= {a, b}
    return non_simple


SCHEMA_TYPES = set(PROPERTY_KINDS) | {OWL.Class, RDFS.Datatype} | SIMPLE_ONLY_TYPES
SCHEMA_PREDICATES = {OWL.propertyDisjointWith, OWL.onProperty, OWL.hasSelf} | CARDINALITIES


def property_kinds(everything: Graph) -> dict:
    """Each declared property and the kinds it is declared as."""
    kinds: dict = {}
    for kind in PROPERTY_KINDS:
        for prop in everything.subjects(RDF.type, kind):
            kinds.setdefault(prop, set()).add(kind)
    return kinds


def statement_violations(kinds: dict, data: Iterable[tuple]) -> list[ProfileViolation]:
    """Data statements against the declarations: the value's kind, and an undeclared property."""
    found: list[ProfileViolation] = []
    object_props = {p for p, k in kinds.items() if k == {OWL.ObjectProperty}}
    datatype_props = {p for p, k in kinds.items() if k == {OWL.DatatypeProperty}}
    undeclared = set()
    for s, p, o in data:
        if p in object_props and isinstance(o, Literal):
            found.append(ProfileViolation("literal value of an object property", str(s), f"{p} {o!r}"))
        elif p in datatype_props and not isinstance(o, Literal):
            found.append(ProfileViolation("resource value of a datatype property", str(s), f"{p} <{o}>"))
        elif p not in kinds and p not in BUILT_IN and p not in undeclared:
            undeclared.add(p)
            found.append(ProfileViolation("undeclared property", str(p),
                                          f"used (e.g. on <{s}>) but declared by no ontology module"))
    return found


def check_profile(tbox: Graph, data: Iterable[tuple]) -> list[ProfileViolation]:
    """`data`: an rdflib Graph, or any iterable of rdflib triples (read once)."""
    found: list[ProfileViolation] = []
    data = list(data)
    # the look-ups below ask only for declarations and restrictions: the ontology and the few data
    # statements of that kind, not a copy of all the data (which took 1.5 s on the shipped graph)
    everything = Graph()
    for triple in tbox:
        everything.add(triple)
    for triple in data:
        if (triple[1] == RDF.type and triple[2] in SCHEMA_TYPES) or triple[1] in SCHEMA_PREDICATES:
            everything.add(triple)
    kinds = property_kinds(everything)
    for prop, declared in sorted(kinds.items()):
        if len(declared) > 1:
            names = " and ".join(sorted(PROPERTY_KINDS[k] for k in declared))
            found.append(ProfileViolation("illegal punning", str(prop), f"declared as both {names}"))
    for thing in set(everything.subjects(RDF.type, OWL.Class)) & set(everything.subjects(RDF.type, RDFS.Datatype)):
        found.append(ProfileViolation("illegal punning", str(thing), "declared as both a class and a datatype"))

    found += statement_violations(kinds, data)

    non_simple = non_simple_properties(tbox)
    for prop in sorted(non_simple):
        for kind in SIMPLE_ONLY_TYPES:
            if (prop, RDF.type, kind) in everything:
                found.append(ProfileViolation("non-simple property in a simple-only axiom", str(prop),
                                              f"a composite property cannot be {kind.split('#')[-1]}"))
        if (prop, OWL.propertyDisjointWith, None) in everything or (None, OWL.propertyDisjointWith, prop) in everything:
            found.append(ProfileViolation("non-simple property in a simple-only axiom", str(prop),
                                          "a composite property cannot be disjoint with another"))
    for restriction in everything.subjects(OWL.onProperty, None):
        prop = everything.value(restriction, OWL.onProperty)
        if prop in non_simple and any((restriction, c, None) in everything for c in CARDINALITIES | {OWL.hasSelf}):
            found.append(ProfileViolation("non-simple property in a simple-only axiom", str(prop),
                                          "a composite property cannot carry a cardinality or self restriction"))
    for s, p, o in tbox:
        if isinstance(o, Literal) and o.datatype and o.datatype not in DATATYPE_MAP and p not in BUILT_IN \
                and kinds.get(p) != {OWL.AnnotationProperty}:
            found.append(ProfileViolation("datatype outside the OWL 2 datatype map", str(s), f"{p} {o!r}"))
        if p in (RDFS.range, OWL.onDatatype, OWL.someValuesFrom, OWL.allValuesFrom) and isinstance(o, URIRef) \
                and str(o).startswith(str(XSD)) and o not in DATATYPE_MAP:
            found.append(ProfileViolation("datatype outside the OWL 2 datatype map", str(s), f"{p} <{o}>"))
    return sorted(set(found), key=lambda v: (v.rule, v.subject, v.detail))

