"""Linked data: /id/... and the ontology dereference by content negotiation, pages link locally."""
from __future__ import annotations

import datetime as dt
import html
import json
import re

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from service import create_app, iris
from service.store.oxigraph import OxigraphStore

from ..conftest import rows

AKG = Namespace(iris.AKG)
RUS = URIRef(iris.ID + "state/RUS")
NATO = URIRef(iris.ID + "partnership/nato")
RDF_FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld",
               "application/n-triples": "nt", "application/rdf+xml": "xml"}


def small_app(triples, **config):
    """The service over a few triples of a test's own, in one data graph."""
    graph = ox.NamedNode(iris.data_graph("test"))
    store = OxigraphStore()
    store.add_quads(ox.Quad(*triple, graph) for triple in triples)
    return create_app({"TESTING": True} | config, store=store)


def section(page: bytes, name: str) -> str:
    """The markup of one <section id=...> of a page."""
    match = re.search(rf'<section id="{name}">(.*?)</section>', page.decode(), re.DOTALL)
    assert match, f"the page has no section {name!r}"
    return match.group(1)


def text(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def local_links(page: bytes) -> set[str]:
    return {html.unescape(h) for h in re.findall(r'href="(/(?:id|ontology)[^"#]*)', page.decode())}


@pytest.mark.parametrize("media, parser", RDF_FORMATS.items())
def test_an_entity_answers_in_each_rdf_format_by_accept(client, media, parser):
    response = client.get("/id/state/RUS", headers={"Accept": media})
    assert response.status_code == 200
    assert response.mimetype == media
    assert "Accept" in response.headers["Vary"]
    graph = Graph().parse(data=response.data, format=parser)
    assert (RUS, RDFS.label, Literal("Russia", lang="en")) in graph
    assert (RUS, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q159")) in graph
    # the description includes what points at the resource
    assert (URIRef(iris.ID + "partnership/sco"), AKG.hasMember, RUS) in graph


@pytest.mark.parametrize("name, media", [("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
                                         ("nt", "application/n-triples"), ("rdf", "application/rdf+xml"),
                                         ("html", "text/html")])
def test_the_format_parameter_overrides_accept(client, name, media):
    response = client.get(f"/id/partnership/nato?format={name}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == media


def test_browsers_get_html_and_bare_clients_get_html_too(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get("/id/state/RUS", headers={"Accept": browser}).mimetype == "text/html"
    assert client.get("/id/state/RUS").mimetype == "text/html"
    assert client.get("/id/state/RUS", headers={"Accept": "application/json"}).mimetype == "application/ld+json"
    assert client.get("/id/state/RUS", headers={"Accept": "text/plain"}).mimetype == "application/n-triples"
    assert client.get("/id/state/RUS", headers={"Accept": "application/xml"}).mimetype == "application/rdf+xml"


def test_the_rdf_description_matches_the_store(client, store):
    """Every statement the store holds about NATO (asserted or entailed) is in its Turtle, and nothing else about it."""
    graph = Graph().parse(data=client.get("/id/partnership/nato?format=ttl").data, format="turtle")
    expected = {(r["p"], r["o"]) for r in rows(store, f"SELECT DISTINCT ?p ?o WHERE {{ <{NATO}> ?p ?o }}")}
    served = {(str(p), str(o)) for p, o in graph.predicate_objects(NATO)}
    assert served == expected
    assert (NATO, RDF.type, AKG.Alliance) in graph  # the reasoner's conclusion is part of the description


def test_a_merged_alliances_old_iri_redirects_to_the_curated_one(client):
    """One alliance, one IRI: ATOP's NATO (atop-3180) is the curated NATO; its old IRI, and those of its
    member rows, answer 301 with the IRI they now are, keeping the format asked for."""
    response = client.get("/id/partnership/atop-3180?format=ttl")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/id/partnership/nato?format=ttl")
    response = client.get("/id/membership/atop-3180-USA-phase-2", headers={"Accept": "text/turtle"})
    assert response.status_code == 301 and response.headers["Location"].endswith("/id/membership/nato-USA")
    followed = client.get("/id/partnership/atop-3180", follow_redirects=True)
    assert followed.status_code == 200 and "North Atlantic Treaty Organization" in followed.get_data(as_text=True)
    # the EU (ATOP 4175) and the AU (ATOP 4953), merged into the paper's records; the UK's membership of the EU,
    # whose exit of 2020-01-31 (data/curated/ends.ttl) stood on the old IRI of ATOP's phase 2, now on the merged one
    for old, merged in (("partnership/atop-4175", "partnership/european-union"),
                        ("partnership/atop-4953", "partnership/african-union"),
                        ("membership/atop-4175-GBR-phase-2", "membership/european-union-GBR"),
                        ("membership/atop-4953-ZAF-phase-1", "membership/african-union-ZAF")):
        response = client.get(f"/id/{old}")
        assert response.status_code == 301 and response.headers["Location"].endswith(f"/id/{merged}"), old
    uk = client.get("/id/membership/european-union-GBR?format=ttl").get_data(as_text=True)
    assert "2020-01-31" in uk and "1993-11-01" in uk
    # an ATOP record that is no curated alliance keeps its own page; an IRI linked to Wikidata is no alias
    assert client.get("/id/partnership/atop-4220").status_code == 200
    assert client.get("/id/state/RUS").status_code == 200


def test_a_partnership_page_marks_presumed_memberships(client):
    """On the curation date (2025-12-31) a NATO membership last confirmed by The Hague Summit Declaration
    (2025-06-25) is presumed, and so is US-Japan's, last confirmed by the leaders' statement of 2025-02-07: no
    source held speaks for the last day of 2025. An ended membership (New Zealand in ANZUS) is not presumed."""
    page = client.get("/id/partnership/nato", headers={"Accept": "text/html"}).data.decode()
    members = section(page.encode(), "members")
    assert "curation date (2025-12-31)" in text(members)
    france = re.search(r'<tr class="presumed"><td><a [^>]*>France</a>.*?</tr>', members, re.DOTALL)
    assert france and "presumed in force" in france.group(0) and "2025-06-25" in france.group(0)
    japan = section(client.get("/id/partnership/usa-japan", headers={"Accept": "text/html"}).data, "members")
    assert 'class="presumed"' in japan and "2025-02-07" in japan
    anzus = section(client.get("/id/partnership/anzus", headers={"Accept": "text/html"}).data, "members")
    assert re.search(r"New Zealand</a></td><td class=\"date\">1952-04-29</td>\s*<td class=\"date\">1986-09-17", anzus)
    assert not re.search(r'<tr class="presumed"><td><a [^>]*>New Zealand</a>', anzus)


def test_an_iri_the_graph_says_nothing_about_is_404_with_a_message(client):
    response = client.get("/id/state/ATLANTIS")
    assert response.status_code == 404
    assert b"says nothing about <https://w3id.org/alliance-kg/id/state/ATLANTIS>" in response.data
    assert client.get("/id/state/a%20b").status_code == 404
    assert client.get("/id/state/%3Cx%3E", headers={"Accept": "text/turtle"}).status_code == 404


def test_an_unknown_format_or_unacceptable_type_is_406_naming_the_choices(client):
    response = client.get("/id/state/RUS?format=pdf")
    assert response.status_code == 406 and b"ttl" in response.data
    response = client.get("/id/state/RUS", headers={"Accept": "image/png"})
    assert response.status_code == 406 and b"text/turtle" in response.data


def test_head_answers_like_get_without_a_body(client):
    response = client.head("/id/state/RUS", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle" and response.data == b""


def test_partnership_page_shows_members_over_time(client, store):
    page = client.get("/id/partnership/nato", headers={"Accept": "text/html"}).data
    members = section(page, "members")
    expected = rows(store, iris.sparql_prologue() + f"""SELECT ?label ?start WHERE {{
        <{NATO}> akg:hasMembership ?m . ?m akg:member ?s ; akg:startDate ?start .
        ?s rdfs:label ?label FILTER(lang(?label) = "en") }}""")
    assert len(expected) == 32
    table = [text(row) for row in re.findall(r"<tr(?: class=\"presumed\")?>(.*?)</tr>", members, re.DOTALL)[1:]]
    assert len(table) == len(expected)
    for row in expected:
        assert any(line.startswith(f"{row['label']} {row['start']}") for line in table), row
    sweden = next(line for line in table if line.startswith("Sweden"))
    # dates, open end (presumed on the curation date: last confirmed 2025-06-25, before 2025-12-31), and source
    assert "2024-03-07 presumed in force 2025-06-25" in sweden and "Member countries" in sweden
    starts = [re.search(r"\d{4}-\d\d-\d\d", line).group() for line in table]
    assert starts == sorted(starts)


def test_partnership_page_shows_scope_conditions_and_agreements(client):
    page = client.get("/id/partnership/nato", headers={"Accept": "text/html"}).data
    scope = text(section(page, "scope-conditions"))
    assert "Article 5" in scope and "an armed attack against one or more of them" in scope
    agreements = text(section(page, "agreements"))
    assert "The North Atlantic Treaty (1949)" in agreements and "1949-04-04" in agreements


def test_reasoner_conclusions_are_marked_as_such(client):
    types = section(client.get("/id/partnership/nato", headers={"Accept": "text/html"}).data, "types")
    chips = re.findall(r'<span class="(type(?: entailed)?)"[^>]*>(.*?)</span>\s*(?=<span|$)', types, re.DOTALL)
    by_label = {text(markup).replace("(concluded by the reasoner)", "").replace("why?", "").strip(): kind
                for kind, markup in chips}
    assert by_label["security partnership"] == "type"
    assert by_label["alliance"] == "type entailed"
    assert "concluded by the reasoner" in text(types)


def test_entailed_statements_are_marked_and_asserted_ones_are_not(client, store):
    statements = section(client.get("/id/partnership/nato").data, "statements")
    rows_by_property = {text(th): td for th, td in re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", statements, re.DOTALL)}
    entailed_only = rows(store, f"""SELECT ?m WHERE {{ GRAPH <{iris.ENTAILMENTS_GRAPH}> {{ <{NATO}> <{AKG.hasMember}> ?m }}
        FILTER NOT EXISTS {{ GRAPH ?g {{ <{NATO}> <{AKG.hasMember}> ?m }} FILTER(?g != <{iris.ENTAILMENTS_GRAPH}>) }} }}""")
    has_member = rows_by_property["has member"]  # NATO's members are entailed from its memberships
    assert has_member.count("(concluded by the reasoner)") == len(entailed_only) == has_member.count('class="why"') > 30
    assert has_member.count("<a ") == 2 * len(entailed_only)  # each member, and why the reasoner says so
    assert "(concluded by the reasoner)" not in rows_by_property["established by"]


def test_state_page_shows_partnerships_diffusion_and_a_network(client):
    page = client.get("/id/state/RUS", headers={"Accept": "text/html"}).data
    partnerships = text(section(page, "partnerships"))
    assert "Shanghai Cooperation Organisation" in partnerships
    # from the 2024 treaty's entry into force (4 December 2024), the start of a partnership (ontology/README.md)
    assert re.search(r"Russia-North Korea alliance.*? alliance 2024-12-04", partnerships)
    diffusion = text(section(page, "diffusion"))
    assert "Shahed drones" in diffusion and "from Iran" in diffusion
    network = section(page, "network")
    assert network.count("<svg") == 1 and "<script" not in page.decode()
    assert 'href="/id/state/PRK"' in network and 'href="/id/actor/houthis"' in network
    assert 'stroke-dasharray' in network  # the Houthis: linked by diffusion only


def test_links_out_to_wikidata_and_atop(client, store):
    page = client.get("/id/state/RUS", headers={"Accept": "text/html"}).data
    assert 'href="http://www.wikidata.org/entity/Q159"' in section(page, "links-out")


def test_atop_identifiers_are_shown_as_links_out():
    """The shipped data records no ATOP id yet (ATOP is cited in comments only), so a small graph stands in."""
    pact = ox.NamedNode(iris.ID + "partnership/test-pact")
    client = small_app([(pact, ox.NamedNode(iris.AKG + "atopId"), ox.Literal("1234", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer")))]).test_client()
    links = text(section(client.get("/id/partnership/test-pact").data, "links-out"))
    assert "ATOP alliance 1234" in links


def test_sources_show_title_section_pages_and_url(client):
    page = client.get("/id/scope-condition/nato-article-5", headers={"Accept": "text/html"}).data
    sources = text(section(page, "sources"))
    assert "What counts as an alliance? Key definitions" in sources and "p. 9-10" in sources
    assert "The Emergence of Military Alliances in the 21st Century" in sources  # the whole the section is part of
    membership = section(client.get("/id/membership/nato-SWE").data, "sources")
    assert re.search(r'href="https://[^"]+"', membership), "a source with a URL links to it"


def test_incoming_links_are_listed(client):
    incoming = section(client.get("/id/state/RUS").data, "incoming")
    assert 'href="/id/partnership/sco"' in incoming and 'href="/id/membership/' in incoming


def test_pages_link_to_local_paths_and_every_local_link_resolves(client):
    page = client.get("/id/partnership/nato").data
    assert 'href="https://w3id.org/alliance-kg/id/' not in page.decode()
    links = local_links(page)
    assert len(links) > 60
    for link in sorted(links):
        response = client.get(link)
        if response.status_code == 301:   # a merged alliance's old IRI (owl:sameAs NATO): to a page that answers
            response = client.get(response.headers["Location"])
        assert response.status_code == 200, link


def test_the_ontology_document_answers_in_rdf_and_html(client, store):
    graph = Graph().parse(data=client.get("/ontology", headers={"Accept": "text/turtle"}).data, format="turtle")
    assert (AKG.Alliance, RDF.type, OWL.Class) in graph
    assert (URIRef(iris.ONTOLOGY), RDF.type, OWL.Ontology) in graph
    page = client.get("/ontology", headers={"Accept": "text/html"}).data.decode()
    declared = rows(store, f"""SELECT DISTINCT ?t WHERE {{ ?t a ?k VALUES ?k {{ <{OWL.Class}> <{OWL.ObjectProperty}>
        <{OWL.DatatypeProperty}> }} FILTER(STRSTARTS(STR(?t), "{iris.AKG}")) }}""")
    for term in declared:  # every term's IRI (ontology#Name) resolves to an anchor of the document
        assert f'id="{term["t"].removeprefix(iris.AKG)}"' in page, term
    alliance = re.search(r'<dl class="term" id="Alliance">(.*?)</dl>', page, re.DOTALL).group(1)
    definition = rows(store, f"SELECT ?d WHERE {{ <{AKG.Alliance}> <http://www.w3.org/2004/02/skos/core#definition> ?d }}")
    assert definition and text(html.escape(definition[0]["d"])) in text(alliance)


def test_an_ontology_module_is_its_own_document(client):
    core = Graph().parse(data=client.get("/ontology/core?format=nt").data, format="nt")
    framework = Graph().parse(data=client.get("/ontology/framework?format=nt").data, format="nt")
    assert (AKG.Alliance, RDF.type, OWL.Class) in core and (AKG.Alliance, RDF.type, OWL.Class) not in framework
    assert len(core) and len(framework)
    assert client.get("/ontology/core").mimetype == "text/html"
    assert client.get("/ontology/no-such-module").status_code == 404


def test_the_public_base_is_configurable():
    """Deployed behind another name, request paths map to IRIs under that base; links stay local."""
    base = "https://example.org/kg/"
    thing, other = ox.NamedNode(base + "id/thing/one"), ox.NamedNode(base + "id/thing/two")
    label = ox.NamedNode(str(RDFS.label))
    client = small_app([(thing, label, ox.Literal("One", language="en")),
                        (thing, ox.NamedNode(base + "ontology#next"), other),
                        (other, label, ox.Literal("Two", language="en"))], PUBLIC_BASE=base).test_client()
    page = client.get("/id/thing/one").data.decode()
    assert "<h1>One</h1>" in page and 'href="/id/thing/two"' in page and 'href="/ontology#next"' in page
    nt = client.get("/id/thing/one?format=nt").data.decode()
    assert f"<{base}id/thing/one>" in nt
    assert client.get("/id/state/RUS").status_code == 404  # the default base's IRIs are not this deployment's


def test_links_follow_the_mount_point(app):
    """Behind a proxy that mounts the service under a path, links carry that path."""
    page = app.test_client().get("/id/partnership/nato", base_url="http://localhost/akg").data.decode()
    assert 'href="/akg/id/state/SWE"' in page and 'href="/id/state/SWE"' not in page


def test_json_ld_is_valid_json(client):
    document = json.loads(client.get("/id/membership/nato-SWE", headers={"Accept": "application/ld+json"}).data)
    assert any(node.get("@id") == iris.ID + "membership/nato-SWE" for node in document)


def test_state_page_leads_with_todays_partnerships_alliances_first_and_folds_history(client):
    """Russia: the partnerships in force come first, alliances before the rest; the ended ones fold
    into one <details> per period; dates do not wrap."""
    page = client.get("/id/state/RUS", headers={"Accept": "text/html"}).data.decode()
    body = section(page.encode(), "partnerships")
    head, _, history = body.partition("<details")
    today = text(head)
    assert "Russia-North Korea alliance" in today and "Shanghai Cooperation Organisation" in today
    kinds = re.findall(r"<td>(alliance|<span class=\"muted\">no</span>)</td>", head)
    assert "alliance" in kinds and kinds == sorted(kinds, key=lambda k: k != "alliance")  # alliances first
    periods = re.findall(r"<details class=\"period\"><summary>(.*?)</summary>", body)
    assert periods and all("ended" in p for p in periods)
    assert any(p.startswith("before 1914") for p in periods)  # the 19th century is folded away
    assert text(head).count(" in force") >= 1 and "1815" not in text(head)
    assert 'td.date { white-space: nowrap; }' in page and '<td class="date">2024-12-04</td>' in head


def test_state_page_draws_the_partners_of_today_and_folds_those_of_the_past(client, store):
    """Russia's partner diagram: partners in a partnership in force today, or in military diffusion; not
    Austria-Hungary, whose ten pacts with Russia all ended before 1918 (issue 16 item 5): it is listed,
    folded, with the other partners of ended partnerships only."""
    network = section(client.get("/id/state/RUS", headers={"Accept": "text/html"}).data, "network")
    picture, _, below = network.partition("</svg>")
    drawn = set(re.findall(r'<a href="(/id/[^"]+)" class="partner">', picture))
    assert {"/id/state/PRK", "/id/state/CHN", "/id/actor/houthis"} <= drawn
    assert "/id/state/cow-auh" not in drawn
    past = re.search(r'<details class="period" id="past-partners">(.*?)</details>', below, re.DOTALL)
    assert past and 'href="/id/state/cow-auh">Austria-Hungary</a>' in past.group(1)
    assert not drawn & set(re.findall(r'href="(/id/[^"]+)"', past.group(1)))
    # each drawn partner shares with Russia a partnership that has not ended, or a diffusion event
    for href in drawn - {"/id/actor/houthis"}:
        partner = "https://w3id.org/alliance-kg" + href
        assert store.query(f"""PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
            ASK {{ {{ ?p akg:hasMember <https://w3id.org/alliance-kg/id/state/RUS>, <{partner}>
                     FILTER NOT EXISTS {{ ?p akg:endDate ?end FILTER(?end <= "{dt.date.today()}"^^<http://www.w3.org/2001/XMLSchema#date>) }} }}
                   UNION {{ ?e akg:diffusedFrom|akg:diffusedTo <https://w3id.org/alliance-kg/id/state/RUS>, <{partner}> }} }}"""), href
    # names run along their rays: one rotation per drawn name
    assert picture.count('transform="rotate(') == len(drawn)
