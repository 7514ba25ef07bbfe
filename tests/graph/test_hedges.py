"""Hedges survive: every quote that hedges ("seems", "may", "allegedly", "almost certainly", " or ") is
recorded with the matching confidence, or with the alternative it leaves open (issue 12, part 4).

Read straight from the curated Turtle (data/paper, data/curated), not the served graph: the rule is
about what the curators wrote, and the files parse in a fraction of a second."""
from __future__ import annotations

import re

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from ..conftest import PROJECT_ROOT

AKG = Namespace("https://w3id.org/alliance-kg/ontology#")
ID = "https://w3id.org/alliance-kg/id/"
CURATED = sorted((PROJECT_ROOT / "data" / "paper").glob("*.ttl")) + sorted((PROJECT_ROOT / "data" / "curated").glob("*.ttl"))

# hedge word -> what recording it means: a confidence below "stated", or an alternative trend
HEDGES = {
    "seems": {AKG.Likely},
    "may": {AKG.Possible},
    "allegedly": {AKG.Alleged},
    "almost certainly": {AKG.AlmostCertain},
    " or ": "alternative",
}
PATTERNS = {word: re.compile(r"\b" + word + r"\b" if word.strip() == word else re.escape(word), re.IGNORECASE)
            for word in HEDGES}

# Quotes whose hedge word does not hedge the fact the resource records, each with the reason. A new
# quote with a hedge word that is neither recorded nor listed here fails the test.
NOT_A_HEDGE = {
    ("diffusion/iran-russia-weapons-ammunition", " or "): "'weapons systems or ammunitions' names the kinds delivered; the delivery is stated",
    ("diffusion/dprk-russia-weapons-ammunition", " or "): "'weapons systems or ammunitions' names the kinds delivered; the delivery is stated",
    ("scope-condition/nato-article-5", " or "): "treaty text: 'one or more', 'Europe or North America' set the clause's scope",
    ("scope-condition/usa-rok-article-3", " or "): "treaty text: territories under administration 'or' recognised later",
    ("scope-condition/usa-thailand-manila-pact-article-4", " or "): "treaty text: the parties 'or' a designated state",
    ("scope-condition/usa-thailand-manila-pact-article-4", "may"): "treaty text: territory the parties 'may hereafter designate'",
    ("scope-condition/liptako-gourma-charter-article-6", " or "): "treaty text: 'one or more contracting parties', 'individually or collectively'",
    ("scope-condition/shusha-declaration-mutual-assistance", " or "): "treaty text: 'threat or aggression', 'the third state or states' set the clause's scope",
    ("partnership/partnership-for-peace", " or "): "a recommendation's two aims, not a fact",
    ("partnership/isaf", " or "): "'Afghanistan or Libya' names two interventions, both stated",
    ("partnership/operation-unified-protector", " or "): "'Afghanistan or Libya' names two interventions, both stated",
    ("partnership/aukus", " or "): "'Washington or London' is who supplies the submarines, not whether AUKUS exists",
    ("partnership/china-dprk", "may"): "'may entrap China' qualifies the risk the paper illustrates; the alliance is stated by the 1961 treaty",
}


@pytest.fixture(scope="module")
def graph() -> Graph:
    g = Graph()
    for path in CURATED:
        g.parse(path)
    return g


def key(subject: URIRef) -> str:
    return str(subject)[len(ID):]


def recorded(g: Graph, subject: URIRef, word: str) -> bool:
    hedges = [str(h) for h in g.objects(subject, AKG.hedge)]
    if not any(PATTERNS[word].search(f" {h} ") for h in hedges):
        return False
    if HEDGES[word] == "alternative":
        return (subject, AKG.alternativeTrend, None) in g
    return g.value(subject, AKG.confidence) in HEDGES[word]


def hedged_quotes(g: Graph):
    sources = set(g.subjects(RDF.type, AKG.Source))
    for subject, quote in g.subject_objects(AKG.quote):
        if subject in sources:
            continue
        for word, pattern in PATTERNS.items():
            if pattern.search(str(quote)):
                yield subject, str(quote), word


def test_every_hedged_quote_is_recorded_with_its_hedge(graph):
    missing = []
    for subject, quote, word in hedged_quotes(graph):
        if recorded(graph, subject, word) or (key(subject), word) in NOT_A_HEDGE:
            continue
        # the quote carries a fact recorded hedged on another resource (the partnership quoting the
        # sentence whose hedge belongs to the observation)
        if any(recorded(graph, other, word) for other in graph.subjects(AKG.quote, Literal(quote)) if other != subject):
            continue
        missing.append((key(subject), word, quote[:80]))
    assert missing == []


def test_the_checks_see_enough_hedges(graph):
    words = {word for _, _, word in hedged_quotes(graph)}
    assert words == set(HEDGES), "every hedge word occurs in a quote, so the rule is exercised"
    # every exemption names a quote that is still there, with that word
    present = {(key(s), w) for s, _, w in hedged_quotes(graph)}
    assert set(NOT_A_HEDGE) <= present


def test_an_unrecorded_hedge_is_caught(graph):
    g = Graph()
    g += graph
    obs = URIRef(ID + "observation/usa-philippines-reaffirmed")
    g.remove((obs, AKG.confidence, None))
    g.add((obs, AKG.confidence, AKG.Stated))
    assert not recorded(g, obs, "seems")


def test_the_three_lost_hedges(graph):
    obs = lambda k: URIRef(ID + "observation/" + k)  # noqa: E731
    # "The US alliance with the Philippines ... now seems reaffirmed" (the paper, NATO section)
    philippines = obs("usa-philippines-reaffirmed")
    assert graph.value(philippines, AKG.assessedTrend) == AKG.Reaffirmed
    assert graph.value(philippines, AKG.confidence) == AKG.Likely
    # "the experience that North Korean troops may acquire in Ukraine"
    experience = URIRef(ID + "diffusion/russia-dprk-combat-experience")
    assert graph.value(experience, AKG.confidence) == AKG.Possible
    # "relations with Tokyo, Taipei and Wellington remained stable or are growing stronger"
    for k, preferred, alternative in (("usa-taiwan-relations-stable", AKG.Stable, AKG.Strengthening),
                                      ("usa-new-zealand-relations-stable", AKG.Stable, AKG.Strengthening),
                                      ("usa-japan-force-integration", AKG.Strengthening, AKG.Stable)):
        assert graph.value(obs(k), AKG.assessedTrend) == preferred
        assert set(graph.objects(obs(k), AKG.alternativeTrend)) == {alternative}


def test_new_zealand_is_no_full_anzus_ally_after_1986(graph):
    nz = URIRef(ID + "membership/anzus-NZL")
    # ADST: the US "suspended its obligations to New Zealand under the ANZUS treaty on September 17, 1986"
    assert graph.value(nz, AKG.endDate) == Literal("1986-09-17", datatype=XSD.date)
    assert URIRef(ID + "source/adst-2015-nz-anzus") in set(graph.objects(nz, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
