"""The data rules: SHACL shapes (ontology/shapes.ttl) checked by pySHACL."""
from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate as shacl_validate
from rdflib import Graph
from rdflib.namespace import SH


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    value: str | None
    shape: str
    constraint: str
    severity: str
    message: str

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def validate(data: Graph, shapes: Graph) -> list[Violation]:
    """Every result pySHACL reports, warnings and infos included, in a stable order."""
    _conforms, report, _text = shacl_validate(data, shacl_graph=shapes, inference="none",
                                              advanced=True, allow_warnings=True)
    violations = []
    for result in report.subjects(SH.resultSeverity, None):
        def one(predicate):
            value = report.value(result, predicate)
            return None if value is None else str(value)
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        violations.append(Violation(
            focus=one(SH.focusNode), path=one(SH.resultPath), value=one(SH.value),
            shape=one(SH.sourceShape), constraint=(one(SH.sourceConstraintComponent) or "").rsplit("#", 1)[-1],
            severity=(one(SH.resultSeverity) or "").rsplit("#", 1)[-1], message="; ".join(messages)))
    return sorted(violations, key=lambda v: (v.severity, v.focus, v.path or "", v.message))
