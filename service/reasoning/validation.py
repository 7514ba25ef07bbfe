"""The data rules: SHACL shapes (ontology/shapes.ttl) checked by pySHACL."""
from __future__ import annotations

import re
from dataclasses import dataclass

from pyshacl import Validator
from pyshacl.graph_abstraction import DataGraph
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from service import iris
from service.store.fault_points import pause_at


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    value: str | None
    shape: str
    constraint: str
    severity: str
    message: str
    fix: str = ""

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


FIXES = {
    "MinCountConstraintComponent": "add {path} to this resource",
    "MaxCountConstraintComponent": "keep one value of {path} and remove the others",
    "DatatypeConstraintComponent": "write the value of {path} with the datatype {datatype}",
    "ClassConstraintComponent": "point {path} at an instance of {class_}, or type the value as one",
    "PatternConstraintComponent": "correct the value of {path} to the required form {pattern}",
    "InConstraintComponent": "use one of the allowed values of {path}",
    "DisjointConstraintComponent": "give {path} a value different from the one it must differ from",
    "LessThanOrEqualsConstraintComponent": "make {path} no later than the value it is compared with",
    "MinInclusiveConstraintComponent": "correct {path}: it is below the allowed minimum",
    "MaxInclusiveConstraintComponent": "correct {path}: it is above the allowed maximum",
    "NodeKindConstraintComponent": "give {path} a value of the right kind (IRI or literal)",
    "LanguageInConstraintComponent": "add a value of {path} in the required language",
}


def fix_for(constraint: str, path: str | None, shape, shapes: Graph) -> str:
    """What to do about a result, said from its constraint and the shape's parameters; SPARQL-based
    rules say it in their own message."""
    template = FIXES.get(constraint)
    if template is None:
        return "see the message"
    def parameter(name):
        value = shapes.value(shape, SH[name]) if shape is not None else None
        return iris.compact(str(value)) if value is not None else "the required one"
    return template.format(path=iris.compact(path) if path else "the value", datatype=parameter("datatype"),
                           class_=parameter("class"), pattern=parameter("pattern"))


TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def targeted_directly(shapes: Graph) -> Graph:
    """The same shapes, each property shape of a node shape given that node shape's targets itself.

    SHACL reports a property shape's results under the property shape either way (same focus node,
    path, value, source shape, message); but pySHACL runs a nested property shape once per focus node
    (105,000 runs on the shipped graph) and a targeted one once over all of them: 5 s instead of 9.
    Left nested: a property shape that two node shapes share, or whose node shape is deactivated,
    has no targets of the kinds above or has an advanced (sh:target) one."""
    users: dict = {}
    for node, prop in shapes.subject_objects(SH.property):
        users.setdefault(prop, []).append(node)
    flat = Graph()
    for triple in shapes:
        flat.add(triple)
    for prop, nodes in users.items():
        node = nodes[0]
        if len(nodes) != 1 or (node, SH.deactivated, None) in shapes or (node, SH.target, None) in shapes \
                or (prop, SH.deactivated, None) in shapes or (node, RDF.type, SH.PropertyShape) in shapes:
            continue
        targets = [(p, o) for p in TARGETS for o in shapes.objects(node, p)]
        if not targets or any((prop, p, None) in shapes for p in TARGETS + (SH.target,)):
            continue
        flat.remove((node, SH.property, prop))
        for p, o in targets:
            flat.add((prop, p, o))
    return flat


PATH_VALUED = (SH.path, SH.targetSubjectsOf, SH.targetObjectsOf, SH.equals, SH.disjoint, SH.lessThan,
               SH.lessThanOrEquals)
UNBOUNDED = tuple(URIRef(str(SH) + name) for name in (  # what can look at statements its shape does not name
    "closed", "js", "jsFunctionName", "rule", "expression", "validator", "nodeValidator", "propertyValidator",
    "targetValidator", "update", "construct"))


def shape_predicates(shapes: Graph) -> set[str] | None:
    """The predicates whose statements can change a validation by these shapes: those on paths, in
    targets and comparisons, named in a SPARQL constraint or target, with rdf:type and
    rdfs:subClassOf (targets and sh:class follow them). None when that cannot be told from the
    shapes (sh:closed, JavaScript, rules): then every statement counts."""
    if any((None, p, None) in shapes for p in UNBOUNDED):
        return None
    found = {str(RDF.type), str(RDFS.subClassOf)}
    def walk(node):  # a path: an IRI, a list, or a blank node of sh:alternativePath, sh:inversePath, ...
        if isinstance(node, URIRef):
            found.add(str(node))
            return
        for _, value in shapes.predicate_objects(node):
            walk(value) if not isinstance(value, Literal) else None
    for predicate in PATH_VALUED:
        for value in shapes.objects(None, predicate):
            walk(value)
    prefixes = {str(d.value(SH.prefix)): str(d.value(SH.namespace)) for d in
                (shapes.resource(n) for n in shapes.objects(None, SH.declare))}
    for text in list(shapes.objects(None, SH.select)) + list(shapes.objects(None, SH.ask)):
        for iri in re.findall(r"<([^<>\s]+)>", str(text)):
            found.add(iri)
        for prefix, local in re.findall(r"(?<![\w<])([A-Za-z][\w-]*)?:([A-Za-z_][\w-]*)", str(text)):
            if prefix not in prefixes:
                return None  # a name we cannot resolve: count every statement
            found.add(prefixes[prefix] + local)
    return found


class _FocusedValidator(Validator):
    """pySHACL's validator with the focus nodes held as a set: pySHACL tests every target of every shape
    against them with `in`, which on its list cost a million term comparisons (half a second) when a
    write's focus reached a few hundred nodes."""

    def make_executor(self):
        executor = super().make_executor()
        if executor.focus_nodes:
            executor.focus_nodes = frozenset(executor.focus_nodes)
        return executor


def validate(data: Graph, shapes: Graph, focus_nodes: list | None = None) -> list[Violation]:
    """Every result pySHACL reports, warnings and infos included, in a stable order. `data` is
    validated in place: pass a graph nobody else holds. `focus_nodes`: only the results whose
    focus node is one of these (each shape's targets, as ever, decide which shapes apply)."""
    # inplace: the caller hands over a graph of its own, and pySHACL's defensive copy of it cost
    # as much as the validation on ATOP-sized data
    pause_at("shacl")
    options = {"focus_nodes": [URIRef(str(f)) for f in focus_nodes]} if focus_nodes else {}
    _conforms, report, _text = _FocusedValidator(
        DataGraph.from_rdflib(data), shacl_graph=targeted_directly(shapes),
        options={"inference": "none", "inplace": True, "advanced": True, "allow_warnings": True, **options}).run()
    violations = []
    for result in report.subjects(SH.resultSeverity, None):
        def one(predicate):
            value = report.value(result, predicate)
            return None if value is None else str(value)
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        constraint = (one(SH.sourceConstraintComponent) or "").rsplit("#", 1)[-1]
        path = one(SH.resultPath)
        violations.append(Violation(
            focus=one(SH.focusNode), path=path, value=one(SH.value),
            shape=one(SH.sourceShape), constraint=constraint,
            severity=(one(SH.resultSeverity) or "").rsplit("#", 1)[-1], message="; ".join(messages),
            fix=fix_for(constraint, path if path and not path.startswith("N") else None,
                        report.value(result, SH.sourceShape), shapes)))
    return sorted(violations, key=lambda v: (v.severity, v.focus, v.path or "", v.message))
