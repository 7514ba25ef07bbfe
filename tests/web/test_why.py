"""GET /why: why the graph holds a statement, as a page or JSON; entity pages link each reasoner
conclusion to it."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from service import iris

from .test_linked_data import section, text

AKG = iris.AKG
NATO = iris.ID + "partnership/nato"
RDF_TYPE = iris.PREFIXES["rdf"] + "type"


def why(client, s, p, o, accept="application/json"):
    return client.get("/why?" + urlencode({"s": s, "p": p, "o": o}), headers={"Accept": accept})


def walk(node):
    yield node
    for premise in node["premises"]:
        yield from walk(premise)


def test_nato_is_an_alliance_because_of_article_5_of_the_north_atlantic_treaty(client):
    response = why(client, NATO, RDF_TYPE, AKG + "Alliance")
    assert response.status_code == 200 and response.mimetype == "application/json"
    report = response.json
    assert report["text"] == "North Atlantic Treaty Organization (NATO) is an alliance"
    assert not report["asserted"] and report["explained"] and report["graphs"] == []
    definition = "akg:Alliance ≡ akg:SecurityPartnership ⊓ ∃akg:hasScopeCondition.akg:ScopeCondition"
    assert report["rule"] == {"id": "cls-def", "name": "defined class", "axiom": definition,
                              "explanation": "partnership:nato meets the definition of akg:Alliance"}
    summary = report["summary"]
    assert summary.startswith("North Atlantic Treaty Organization (NATO) is an alliance because ")
    assert "has scope condition North Atlantic Treaty, Article 5 (collective defence)" in summary
    assert "akg:Alliance ≡ akg:SecurityPartnership" in summary
    # a derived premise cites what it rests on: the clause is a mutual defence clause by the treaty's text
    assert ("North Atlantic Treaty, Article 5 (collective defence) is a scope condition (The North Atlantic "
            "Treaty;") in summary
    scope = next(p for p in report["premises"] if p["statement"]["predicate"]["value"] == AKG + "hasScopeCondition")
    assert scope["asserted"] and scope["graphs"] == [iris.data_graph("paper/partnerships")]
    assert scope["statement"]["object"] == {"type": "iri", "value": iris.ID + "scope-condition/nato-article-5",
                                            "label": "North Atlantic Treaty, Article 5 (collective defence)",
                                            "ntriples": f"<{iris.ID}scope-condition/nato-article-5>"}
    clause = next(n for n in walk(report) if n["text"].endswith("is a mutual defence clause"))
    treaty = next(s for s in clause["sources"] if s["iri"] == iris.ID + "source/north-atlantic-treaty-1949-text")
    assert treaty["title"] == "The North Atlantic Treaty"
    assert treaty["url"] == "https://www.nato.int/cps/en/natohq/official_texts_17120.htm"
    # every path ends in asserted statements, each with its sources
    leaves = [n for n in walk(report) if not n["premises"]]
    assert leaves and all(n["asserted"] and n["sources"] for n in leaves)


def test_a_member_count_is_explained_by_the_memberships_it_counts(client):
    response = why(client, NATO, AKG + "memberCount", '"32"^^<http://www.w3.org/2001/XMLSchema#integer>')
    assert response.status_code == 200
    report = response.json
    assert report["rule"]["id"] == "akg-member-count" and "32 here" in report["rule"]["explanation"]
    members = {p["statement"]["object"]["label"] for p in report["premises"]
               if p["statement"]["predicate"]["value"] == AKG + "member"}
    assert len(members) == 32 and "Sweden" in members
    assert "59 more statements" in report["summary"]  # 65 premises: the sentence names six
    # a literal may be written as Turtle writes it: 32 and "32"^^xsd:integer are the same statement
    assert why(client, "partnership:nato", "akg:memberCount", "32").json["premises"] == report["premises"]


def test_the_size_class_rests_on_the_count(client):
    report = why(client, "partnership:nato", "a", "akg:MultilateralAlliance").json
    assert report["rule"]["axiom"] == "akg:MultilateralAlliance ≡ akg:Alliance ⊓ ∃akg:memberCount.[≥ 8]"
    assert "32 ≥ 8" in report["rule"]["explanation"]
    assert {p["rule"]["id"] for p in report["premises"]} == {"cls-def", "akg-member-count"}


def test_an_asserted_statement_names_its_graph_and_sources(client):
    report = why(client, NATO, AKG + "establishedBy", iris.ID + "agreement/north-atlantic-treaty-1949").json
    assert report["asserted"] and report["rule"] is None and report["premises"] == []
    assert report["graphs"] == [iris.data_graph("paper/partnerships")]
    assert "The North Atlantic Treaty" in {s["title"] for s in report["sources"]}
    assert report["summary"].startswith("North Atlantic Treaty Organization (NATO) established by The North "
                                        "Atlantic Treaty (1949): asserted in data/paper/partnerships, from ")


def test_the_page_shows_the_explanation_as_a_tree(client):
    response = why(client, "state:USA", "akg:memberOf", "partnership:nato", accept="text/html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.data
    explanation = section(page, "explanation")
    assert "inverse" in text(explanation) and "akg:memberOf owl:inverseOf akg:hasMember" in text(explanation)
    assert "property chain" in text(explanation)
    assert "akg:hasMembership ∘ akg:member ⊑ akg:hasMember" in text(explanation)
    assert 'href="/id/membership/nato-USA"' in explanation and 'href="/id/state/USA"' in explanation
    assert "asserted in" in text(explanation)
    assert why(client, "state:USA", "akg:memberOf", "partnership:nato", accept="*/*").mimetype == "text/html"
    json_link = html.unescape(re.search(r'<a href="(\?[^"]*format=json)">JSON</a>', page.decode())[1])
    assert client.get("/why" + json_link).json["text"] == "United States of America member of North Atlantic " \
                                                           "Treaty Organization (NATO)"


def test_a_statement_neither_asserted_nor_entailed_is_404(client):
    response = why(client, NATO, RDF_TYPE, AKG + "State")
    assert response.status_code == 404
    assert "neither asserts nor entails" in response.text and f"<{AKG}State>" in response.text


def test_a_bad_term_is_400_naming_the_parameter(client):
    cases = {("not an iri", RDF_TYPE, AKG + "Alliance"): "s: not an IRI: 'not an iri'",
             (NATO, "http://exa mple.org/p", AKG + "Alliance"): "p: not an IRI",
             (NATO, RDF_TYPE, "zz:Alliance"): "o: not an IRI or literal: 'zz:Alliance'",
             (NATO, '"a literal"', AKG + "Alliance"): "p: a literal cannot stand here",
             (NATO, RDF_TYPE, ""): "o: missing"}
    for (s, p, o), message in cases.items():
        response = why(client, s, p, o)
        assert response.status_code == 400 and message in response.text, (s, p, o, response.text)
    assert client.get("/why").status_code == 400 and "s: missing" in client.get("/why").text


def test_the_entity_page_links_every_reasoner_conclusion_to_its_explanation(client):
    page = client.get("/id/partnership/nato", headers={"Accept": "text/html"}).data.decode()
    marks = page.count("(concluded by the reasoner)")
    links = [html.unescape(h) for h in re.findall(r'<a class="why" href="([^"]+)"', page)]
    assert marks == len(links) > 60  # types, statements (members, count, obligations) and what points here
    kinds = {parse_qs(urlsplit(link).query)["p"][0] for link in links}
    assert {RDF_TYPE, AKG + "hasMember", AKG + "memberCount", AKG + "membershipOf"} <= kinds
    for link in links:
        response = client.get(link, headers={"Accept": "application/json"})
        assert response.status_code == 200, link
        report = response.json
        assert not report["asserted"] and report["explained"], link
        assert all(n["asserted"] for n in walk(report) if not n["premises"] and n["rule"] is None), link
