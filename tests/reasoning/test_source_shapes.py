"""The shapes take a source as CONTRACT.md defines one: anything with a dcterms:title and a locator,
typed akg:Source or not (issue 16 item 10). pySHACL alone, on a few statements: no reasoner needed."""
from __future__ import annotations

from rdflib import Graph

from service.reasoning.validation import validate

from ..conftest import PROJECT_ROOT

ID = "https://w3id.org/alliance-kg/id/"
PREFIXES = f"""@prefix akg: <https://w3id.org/alliance-kg/ontology#> . @prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
SHAPES = Graph().parse(PROJECT_ROOT / "ontology" / "shapes.ttl")


def source_errors(turtle: str) -> list:
    data = Graph().parse(data=PREFIXES + turtle, format="turtle")
    return [v for v in validate(data, SHAPES) if v.severity == "Violation" and "source" in v.message.lower()]


def event(source: str) -> str:
    return f"""<{ID}diffusion/d> a akg:MilitaryDiffusion ; rdfs:label "an event"@en ; prov:wasDerivedFrom {source} .
"""


def test_an_untyped_source_with_a_title_and_a_locator_is_a_source():
    assert source_errors(event(f"<{ID}source/report>") + f"""
        <{ID}source/report> dcterms:title "A report" ; akg:url "https://example.org/report"^^xsd:anyURI .""") == []


def test_a_typed_source_still_passes():
    assert source_errors(event(f"<{ID}source/report>") + f"""
        <{ID}source/report> a akg:Source ; dcterms:title "A report" ; akg:section "2.1" .""") == []


def test_an_untyped_source_without_a_locator_is_named_with_the_missing_locator():
    errors = source_errors(event(f"<{ID}source/vague>") + f"""<{ID}source/vague> dcterms:title "Something said" .""")
    assert [(e.focus, e.message) for e in errors] == [(f"{ID}source/vague", "A source must have a locator: "
        "dcterms:bibliographicCitation, akg:section, akg:pages or akg:url.")]


def test_an_untyped_source_without_a_title_is_named():
    errors = source_errors(event(f"<{ID}source/untitled>") + f"""<{ID}source/untitled> akg:pages "12" .""")
    assert {(e.focus, e.path) for e in errors} == {(f"{ID}source/untitled", "http://purl.org/dc/terms/title")}


def test_a_literal_is_no_source():
    errors = source_errors(event('"a newspaper"'))
    assert (f"{ID}diffusion/d", "NodeKindConstraintComponent") in {(e.focus, e.constraint) for e in errors}
