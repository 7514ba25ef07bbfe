"""Autocompletion of the ontology's terms in the query editor: /ui/terms.json lists every akg: class and
property of the ontology with its label and definition, and typing `akg:Alli` in the editor offers
akg:Alliance with both (headless Chromium; the screenshot goes to test-output/)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from service import iris

from ..conftest import PROJECT_ROOT
from .test_browser import SCREENSHOTS, browser, page  # noqa: F401 (fixtures)

ALLIANCE = URIRef(iris.AKG + "Alliance")


def ontology_files() -> Graph:
    graph = Graph()
    for path in (PROJECT_ROOT / "ontology").glob("*.ttl"):
        if path.name != "shapes.ttl":
            graph.parse(path, format="turtle")
    return graph


def test_terms_json_lists_every_class_and_property_with_label_and_definition(client):
    response = client.get("/ui/terms.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    served = {term["iri"]: term for term in response.get_json()}
    ontology = ontology_files()
    declared = {str(s) for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
                for s in ontology.subjects(RDF.type, kind) if str(s).startswith(iris.AKG)}
    assert len(declared) > 80
    assert declared <= set(served), sorted(declared - set(served))[:5]
    assert all(iri.startswith(iris.AKG) for iri in served)
    alliance = served[str(ALLIANCE)]
    assert alliance["prefixed"] == "akg:Alliance" and alliance["kind"] == "class"
    assert alliance["label"] == str(ontology.value(ALLIANCE, RDFS.label))
    assert alliance["definition"] == str(ontology.value(ALLIANCE, SKOS.definition))
    atop = Graph().parse(PROJECT_ROOT / "ontology" / "atop.ttl", format="turtle")
    atop_properties = {str(s) for s in atop.subjects(RDF.type, OWL.ObjectProperty) if str(s).startswith(iris.AKG)}
    assert atop_properties and all(served[iri]["kind"] == "object property" for iri in atop_properties)
    assert client.get("/ui/terms.json").get_json() == response.get_json()  # the cached answer is the same


@pytest.mark.needs("chromium", "node_modules")
def test_typing_akg_offers_the_ontology_terms_with_label_and_definition(page):  # noqa: F811
    page.goto("/")
    page.locator(".yasqe .CodeMirror").wait_for()
    page.evaluate("""() => {
        const yasqe = window.workbench.yasgui.getTab().getYasqe();
        yasqe.setValue("PREFIX akg: <%s>\\n\\nSELECT ?x WHERE {\\n  ?x a \\n}\\n");
        yasqe.focus();
        yasqe.getDoc().setCursor({line: 3, ch: 7});
    }""" % iris.AKG)
    page.keyboard.type("akg:Alli")
    hints = page.locator(".CodeMirror-hints li")
    first = hints.first
    expect(first.locator(".akg-hint-name")).to_have_text("akg:Alliance")
    expect(first.locator(".akg-hint-label")).to_contain_text("alliance")
    expect(first.locator(".akg-hint-definition")).to_contain_text("formal or informal association of states")
    page.screenshot(path=SCREENSHOTS / "ui-autocomplete-akg.png")
    page.keyboard.press("Enter")
    value = page.evaluate("() => window.workbench.yasgui.getTab().getYasqe().getValue()")
    assert "?x a akg:Alliance\n" in value, value


@pytest.mark.needs("chromium", "node_modules")
def test_the_services_prefix_is_completed_before_the_query_declares_it(page):  # noqa: F811
    page.goto("/")
    page.locator(".yasqe .CodeMirror").wait_for()
    page.evaluate("""() => {
        const yasqe = window.workbench.yasgui.getTab().getYasqe();
        yasqe.setValue("SELECT ?x WHERE {\\n  ?x  ?y\\n}\\n");
        yasqe.focus();
        yasqe.getDoc().setCursor({line: 1, ch: 5});
    }""")
    page.keyboard.type("akg:")  # the service's prefix, though the query has not declared it
    expect(page.locator(".CodeMirror-hints li").first).to_be_visible()
    assert page.locator(".CodeMirror-hints li").count() > 50
