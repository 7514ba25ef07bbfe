"""`alliance-kg why S P O`: the statement's terms as people write them, and the explanation as text."""
from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from service import iris
from service.cli import main
from service.graph import explanations

XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def test_terms_are_iris_prefixed_names_or_turtle_literals():
    s, p, o = explanations.parse_statement("partnership:nato", "a", "akg:Alliance")
    assert (s, p, o) == (ox.NamedNode(iris.ID + "partnership/nato"), ox.NamedNode(explanations.TYPE),
                         ox.NamedNode(iris.AKG + "Alliance"))
    assert explanations.parse_statement(iris.ID + "partnership/nato", f"<{iris.AKG}memberCount>", "32")[2] == \
        ox.Literal("32", datatype=XSD_INTEGER)
    assert explanations.parse_statement("state:USA", "rdfs:label", '"United States of America"@en')[2] == \
        ox.Literal("United States of America", language="en")


@pytest.mark.parametrize("terms, parameter", [
    (("partnership:nato", "a", "<relative>"), "o"),
    (("partnership:nato", "a ; a", "akg:Alliance"), "p"),
    (("_:b0", "a", "akg:Alliance"), "s"),
    (("partnership:nato", "a", "akg:Alliance . <urn:x:a> <urn:x:b> <urn:x:c>"), "o"),
])
def test_a_term_that_is_not_one_names_its_place(terms, parameter):
    with pytest.raises(explanations.StatementError) as caught:
        explanations.parse_statement(*terms)
    assert caught.value.parameter == parameter and str(caught.value).startswith(f"{parameter}: ")


def test_the_command_prints_the_sentence_and_the_tree():
    result = CliRunner().invoke(main, ["why", "partnership:nato", "a", "akg:Alliance"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("North Atlantic Treaty Organization (NATO) is an alliance because ")
    assert "North Atlantic Treaty Organization (NATO) is an alliance" == lines[2]
    assert "  concluded by the reasoner, rule cls-def (defined class): partnership:nato meets the definition of " \
           "akg:Alliance" in lines
    assert "  axiom: akg:Alliance ≡ akg:SecurityPartnership ⊓ ∃akg:hasScopeCondition.akg:ScopeCondition" in lines
    assert "    - North Atlantic Treaty, Article 5 (collective defence) is a scope condition" in lines
    assert "        - North Atlantic Treaty, Article 5 (collective defence) is a mutual defence clause" in lines
    treaty = "The North Atlantic Treaty (https://www.nato.int/cps/en/natohq/official_texts_17120.htm)"
    assert "            source: " + treaty in lines


def test_the_command_prints_json_as_the_route_answers():
    result = CliRunner().invoke(main, ["why", "state:USA", "akg:memberOf", "partnership:nato", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rule"]["id"] == "prp-inv" and report["premises"][0]["rule"]["id"] == "prp-spo2"
    assert set(report) == {"statement", "text", "asserted", "graphs", "sources", "explained", "rule", "premises",
                           "summary"}


def test_the_command_exits_1_for_a_statement_the_graph_does_not_hold_and_2_for_a_bad_term():
    result = CliRunner().invoke(main, ["why", "partnership:nato", "a", "akg:State"])
    assert result.exit_code == 1 and "neither asserts nor entails" in result.output
    result = CliRunner().invoke(main, ["why", "partnership:nato", "a", "akq:Alliance"])
    assert result.exit_code == 2 and "Invalid value for 'O'" in result.output
    assert "The prefix akq: has not been declared" in result.output


def test_the_class_hierarchy_is_explained_by_the_ontologys_axioms_and_their_sources(store):
    report = explanations.why(store, *explanations.parse_statement(
        "akg:MultilateralAlliance", "rdfs:subClassOf", "akg:SecurityPartnership"))
    assert report["rule"]["id"] == "scm-sco"
    first, second = report["premises"]
    assert first["rule"]["id"] == second["rule"]["id"] == "scm-axiom" and not first["premises"]
    assert first["rule"]["axiom"] == "akg:MultilateralAlliance ≡ akg:Alliance ⊓ ∃akg:memberCount.[≥ 8]"
    told = explanations.why(store, *explanations.parse_statement(
        "akg:MutualDefenseClause", "rdfs:subClassOf", "akg:Obligation"))
    leaf = told["premises"][0]
    assert leaf["asserted"] and leaf["graphs"] == [iris.ontology_graph("core")]
    assert [s["title"] for s in leaf["sources"]] == ["What counts as an alliance? Key definitions"]  # dcterms:source
    assert told["summary"].startswith("mutual defence clause rdfs:subClassOf obligation because mutual defence "
                                      "clause rdfs:subClassOf scope condition (What counts as an alliance?")
