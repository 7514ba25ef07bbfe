"""The data rules: SHACL shapes (ontology/shapes.ttl) checked by pySHACL."""
from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate as shacl_validate
from rdflib import Graph
from rdflib.namespace import SH

from service import iris


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


def validate(data: Graph, shapes: Graph) -> list[Violation]:
    """Every result pySHACL reports, warnings and infos included, in a stable order. `data` is
    validated in place: pass a graph nobody else holds."""
    # inplace: the caller hands over a graph of its own, and pySHACL's defensive copy of it cost
    # as much as the validation on ATOP-sized data
    _conforms, report, _text = shacl_validate(data, shacl_graph=shapes, inference="none", inplace=True,
                                              advanced=True, allow_warnings=True)
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
