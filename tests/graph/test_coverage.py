"""Coverage: on a date, a partnership is confirmed, presumed or ended (ontology/README.md, "Coverage"),
answered over the served graph; each expectation names its source (data/curated/sources.ttl, the paper)."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ..conftest import PROJECT_ROOT, rows

ID = "https://w3id.org/alliance-kg/id/"

# The status rule of the ontology, in SPARQL: several akg:lastConfirmed values may exist (one per
# source); the latest counts.
STATUS = """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
SELECT ?status WHERE {
  VALUES (?x ?date) { (<%s> "%s"^^<http://www.w3.org/2001/XMLSchema#date>) }
  ?x akg:startDate ?start FILTER (?start <= ?date)
  BIND (IF(EXISTS { ?x akg:endDate ?end FILTER (?end <= ?date) }, "ended",
        IF(EXISTS { ?x akg:lastConfirmed ?c FILTER (?c >= ?date) }, "confirmed", "presumed")) AS ?status)
}"""

DATES = ("2019-06-01", "2024-06-30", "2025-01-01")
EXPECTED = {
    # NATO: the paper (2025, present to 2025-01-17) and the Washington Summit Declaration (10 July 2024)
    "partnership/nato": ("confirmed", "confirmed", "confirmed"),
    # the US treaties in Asia and ANZUS, discussed in the present by the paper
    "partnership/usa-japan": ("confirmed", "confirmed", "confirmed"),
    "partnership/usa-rok": ("confirmed", "confirmed", "confirmed"),
    "partnership/usa-philippines": ("confirmed", "confirmed", "confirmed"),
    "partnership/usa-thailand": ("confirmed", "confirmed", "confirmed"),
    "partnership/anzus": ("confirmed", "confirmed", "confirmed"),
    "partnership/china-dprk": ("confirmed", "confirmed", "confirmed"),
    "partnership/sco": ("confirmed", "confirmed", "confirmed"),
    # AUKUS: announced 15 September 2021 (IAEA INFCIRC; the paper)
    "partnership/aukus": (None, "confirmed", "confirmed"),
    # Russia-DPRK 2024: signed 19 June 2024 (the paper dates it so), in force 4 December 2024 (Interfax/KCNA):
    # it starts on its entry into force (ontology/README.md, "Dates"), so on 2024-06-30 it has no status yet
    "partnership/russia-dprk": (None, None, "confirmed"),
    # the treaty of 2000 (ATOP 4940) became invalid on 4 December 2024 (Interfax/KCNA)
    "partnership/atop-4940": ("presumed", "presumed", "ended"),
    # Russia-Ukraine friendship treaty expired 31 March / 1 April 2019 (UNIAN; Interfax-Ukraine)
    "partnership/atop-4875": ("ended", "ended", "ended"),
    # Alliance of Sahel States: Liptako-Gourma Charter signed 16 September 2023, reported 18 September (The Nation/AFP);
    # its members signed the confederation treaty in Niamey on 6 July 2024 (Sputnik; AFP via Pledge Times)
    "partnership/alliance-of-sahel-states": (None, "confirmed", "presumed"),
    # Turkey-Azerbaijan: Shusha Declaration signed 15 June 2021 (Trend), in force on its second anniversary (Silk Way News)
    "partnership/turkey-azerbaijan": (None, "presumed", "presumed"),
    # UK-Ukraine: Agreement on Security Cooperation signed 12 January 2024 (OSW; Euromaidan Press), changed by the
    # 100 Year Partnership signed in Kyiv on 16 January 2025 (bne IntelliNews)
    "partnership/uk-ukraine": (None, "confirmed", "confirmed"),
    # US-Ukraine: Bilateral Security Agreement signed at the G7 summit on 13 June 2024 (UNN/Reuters); nothing later held
    "partnership/usa-ukraine": (None, "presumed", "presumed"),
    # China-Solomon Islands: signature announced by China's Foreign Ministry on 19 April 2022 (Taipei Times; China Daily)
    "partnership/china-solomon-islands": (None, "presumed", "presumed"),
    # signed in 2025, after the three dates: the Treaty of Nancy (9 May, gov.pl; in force 22 January 2026, Polski FR),
    # the Kensington Treaty (17 July, OSW), the Saudi Arabia-Pakistan Strategic Mutual Defence Agreement (17 September,
    # The National): see test_formed_in_2025
    "partnership/france-poland": (None, None, None),
    "partnership/uk-germany": (None, None, None),
    "partnership/saudi-arabia-pakistan": (None, None, None),
    # ISAF ended 31 December 2014 (NATO JFC Brunssum); Unified Protector 31 October 2011 (Reuters)
    "partnership/isaf": ("ended", "ended", "ended"),
    "partnership/operation-unified-protector": ("ended", "ended", "ended"),
    # the EU (the paper's record, 1993-11-01, the Maastricht treaty's entry into force, one record with ATOP 4175:
    # in force as the UK left on 31 January 2020, Government of the Netherlands) and the Partnership for Peace
    # (launched 10 January 1994), both described by the paper as they stand (2025-01-17)
    "partnership/european-union": ("confirmed", "confirmed", "confirmed"),
    # the AU (one record with ATOP 4953): from the Constitutive Act's entry into force, 26 May 2001 (Pan-African
    # Parliament); its 38th Assembly opened on 15 February 2025 (Egypt Today), after the paper's 2025-01-17
    "partnership/african-union": ("confirmed", "confirmed", "confirmed"),
    "partnership/partnership-for-peace": ("confirmed", "confirmed", "confirmed"),
    # ATOP 4867 (Kyrgyzstan-Kazakhstan, 1997): named in the preamble of their treaty on deepening allied relations of
    # 19 April 2024 (Kazakhstan's ratification law, zan.kz; data/curated/review/eurasia-china.ttl), so confirmed
    # up to that day, presumed after it
    "partnership/atop-4867": ("confirmed", "presumed", "presumed"),
    # ATOP 4755 (Cambodia-Laos, 1995): reviewed, and no source held names it after 2018 (eurasia-china.ttl)
    "partnership/atop-4755": ("presumed", "presumed", "presumed"),
    # CSTO (ATOP 4220): Qazinform names its six members at the Bishkek Collective Security Council, 27 November 2025
    "partnership/atop-4220": ("confirmed", "confirmed", "confirmed"),
    # CIS (ATOP 4400): the Council of Heads of State in Dushanbe, 10 October 2025 (CIS Executive Committee)
    "partnership/atop-4400": ("confirmed", "confirmed", "confirmed"),
    # Arab League Pact (ATOP 3015): the 34th summit of the Council of the League, Baghdad, 17 May 2025 (WAM)
    "partnership/atop-3015": ("confirmed", "confirmed", "confirmed"),
    # GCC Joint Defence Agreement (ATOP 4965): the 45th Supreme Council, Kuwait, 1 December 2024 (GCC General
    # Secretariat): confirmed to that day, presumed on 2025-01-01
    "partnership/atop-4965": ("confirmed", "confirmed", "presumed"),
    # SADC defence protocol (ATOP 4985): the 45th SADC Summit, 17 August 2025 (its communiqué)
    "partnership/atop-4985": ("confirmed", "confirmed", "confirmed"),
    # Rio Treaty (ATOP 3075): invoked by its states parties on 11 and 23 September 2019 (OAS; CRS), nothing later
    "partnership/atop-3075": ("confirmed", "presumed", "presumed"),
    # Russia-China treaty of 2001 (ATOP 4980): extended on 28 June 2021 (teleSUR; Sputnik), nothing later held
    "partnership/atop-4980": ("confirmed", "presumed", "presumed"),
    # Russia-Iran treaty of 2001 (ATOP 4968): named as a legal foundation by the treaty of 17 January 2025 (IFP News)
    "partnership/atop-4968": ("confirmed", "confirmed", "confirmed"),
    # Russia-Belarus Union State (ATOP 4865): the Supreme State Council met in Minsk on 6 December 2024 (Xinhua)
    "partnership/atop-4865": ("confirmed", "confirmed", "presumed"),
    # Simla (ATOP 3705): Pakistan held it "in abeyance" on 24 April 2025 (Business Today): not an end, presumed
    "partnership/atop-3705": ("presumed", "presumed", "presumed"),
    # the Korean Basic Agreement (ATOP 4125): North Korea "may revoke" it (Korea Herald, 2 October 2024): presumed
    "partnership/atop-4125": ("presumed", "presumed", "presumed"),
    # France-Senegal (ATOP 3730): bases handed over in July 2025, cooperation to continue (EFE): presumed
    "partnership/atop-3730": ("presumed", "presumed", "presumed"),
}
MEMBERSHIPS = {
    # the United Kingdom left the EU on 31 January 2020 (CNMV; Government of the Netherlands); between ATOP's
    # end and the exit no source held confirms the membership, so it is presumed then
    "membership/european-union-GBR": ("presumed", "ended", "ended"),
    # South Africa in the AU (ATOP 4953, from the Constitutive Act's entry into force): the 2025 summit reports held
    # name the Union, not its members, so no membership is confirmed after ATOP's end
    "membership/african-union-ZAF": ("presumed", "presumed", "presumed"),
    # Sweden joined NATO on 7 March 2024 (Government Offices of Sweden); the Washington declaration of 10 July 2024
    # confirms it, and the Baltic Sea Allies Summit of 14 January 2025 (Overt Defense) again, with Finland
    "membership/nato-SWE": (None, "confirmed", "confirmed"),
    "membership/nato-FIN": (None, "confirmed", "confirmed"),
    # France was not at the Helsinki summit (14 January 2025), but The Hague Summit Declaration of 25 June 2025,
    # issued for all 32 Allies (Il Sole 24 Ore; UBN), confirms it later
    "membership/nato-FRA": ("confirmed", "confirmed", "confirmed"),
    # Armenia in the CSTO: frozen since February 2024, but named a member on 27 November 2025 (Qazinform)
    "membership/atop-4220-ARM-phase-2": ("confirmed", "confirmed", "confirmed"),
    # Nicaragua: the OAS Charter ceased to have effect for it on 19 November 2023 (its Foreign Minister)
    "membership/atop-3150-NIC": ("presumed", "ended", "ended"),
    # Venezuela: its withdrawal from the OAS took effect on 27 April 2019 (Sputnik Brasil); contested by the OAS's
    # seating of Guaidó's envoy (G1), the end preferred
    "membership/atop-3150-VEN": ("ended", "ended", "ended"),
    # Mali left ECOWAS on 29 January 2025 (the 66th ECOWAS Summit): still presumed on 2025-01-01
    "membership/atop-3810-MLI": ("presumed", "presumed", "presumed"),
    # Kazakhstan in the SCO, named by TASS among the members at the Tianjin summit of 1 September 2025
    "membership/sco-KAZ": ("confirmed", "confirmed", "confirmed"),
    # Angola in the SADC defence protocol: at the 45th SADC Summit, 17 August 2025 (its communiqué)
    "membership/atop-4985-AGO-phase-2": ("confirmed", "confirmed", "confirmed"),
    # Russia in the 2001 treaty with China: extended on 28 June 2021, nothing later held
    "membership/atop-4980-RUS": ("confirmed", "presumed", "presumed"),
    # New Zealand: the US suspended its ANZUS obligations on 17 September 1986 (ADST)
    "membership/anzus-NZL": ("ended", "ended", "ended"),
}


# After the paper's present: the end of 2025 is the curation date (data/curated/dataset.ttl).
LATER_DATES = ("2025-06-30", "2025-12-31")
LATER = {
    # Burkina Faso, Mali and Niger ceased to be ECOWAS members from 29 January 2025 (communiqué of the 66th ECOWAS
    # Summit, AllAfrica; Zambian Observer): their memberships of the ECOWAS protocols end with it
    "membership/atop-3810-MLI": ("ended", "ended"),
    "membership/atop-3895-NER": ("ended", "ended"),
    "membership/atop-3895-BFA": ("ended", "ended"),
    # Senegal stays: nothing after 2018 speaks of its membership
    "membership/atop-3810-SEN": ("presumed", "presumed"),
    # The Hague Summit Declaration speaks for 25 June 2025, so by 30 June a NATO membership is presumed again
    "membership/nato-FRA": ("presumed", "presumed"),
    # CSTO and CIS summits of October and November 2025 confirm them past mid-2025, not to the end of the year
    "membership/atop-4220-ARM-phase-2": ("confirmed", "presumed"),
    "partnership/atop-4400": ("confirmed", "presumed"),
}


def status(store, key: str, date: str) -> str | None:
    found = rows(store, STATUS % (ID + key, date))
    assert len(found) <= 1
    return found[0]["status"] if found else None


@pytest.mark.parametrize("key", sorted(EXPECTED | MEMBERSHIPS))
def test_status_on_three_dates(store, key):
    expected = (EXPECTED | MEMBERSHIPS)[key]
    assert tuple(status(store, key, d) for d in DATES) == expected


@pytest.mark.parametrize("key", sorted(LATER))
def test_status_after_the_papers_present(store, key):
    assert tuple(status(store, key, d) for d in LATER_DATES) == LATER[key]


def test_the_review_counts(store):
    """ontology/README.md, "The present, curated": of ATOP's 372 alliances in force at its end, all reviewed: 2 ended,
    75 confirmed after 2018, 295 presumed; of their 1,146 memberships, 12 ended, 208 confirmed, 926 presumed."""
    found = rows(store, (PROJECT_ROOT / "queries" / "review-of-atop-alliances-in-force-2018.rq").read_text())
    assert {r["kind"]: (r["inForceEnd2018"], r["reviewed"], r["ended"], r["confirmedLater"], r["presumed"])
            for r in found} == {
        "partnership": ("372", "372", "2", "75", "295"), "membership": ("1146", "1146", "12", "208", "926")}



def test_every_atop_alliance_in_force_at_its_end_was_reviewed(store):
    """Issue 12, section 2: every ATOP 5.1 alliance in force on 2018-12-31 was searched for (akg:reviewedOn), and
    each review says what was searched and found (akg:reviewFinding), "nothing" included."""
    unreviewed = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        SELECT DISTINCT ?p WHERE {
          ?p akg:atopId ?id .
          FILTER NOT EXISTS { ?p akg:startDate ?s FILTER (?s > "2018-12-31"^^xsd:date) }
          FILTER NOT EXISTS { ?p akg:endDate ?e FILTER (?e <= "2018-12-31"^^xsd:date) }
          FILTER NOT EXISTS { ?p akg:reviewedOn ?on ; akg:reviewFinding ?finding }
        }""")
    assert [r["p"] for r in unreviewed] == []
    findings = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?p ?finding WHERE { ?p akg:reviewFinding ?finding }""")
    assert all(f["finding"].startswith("Searched:") and "Found:" in f["finding"] and "Recorded:" in f["finding"]
               for f in findings), [f["p"] for f in findings if "Found:" not in f["finding"]][:5]

def test_enough_partnerships_are_checked():
    assert len(EXPECTED) >= 20


def test_the_sahel_alliance_is_classified_by_its_clause(store):
    # a declared scope condition (Article 6, collective defence) makes an alliance; nobody asserts it
    ask = f"""PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
    SELECT ?kind WHERE {{ <{ID}partnership/alliance-of-sahel-states> a akg:Alliance ; akg:hasScopeCondition ?c . ?c a ?kind
                         FILTER (?kind = akg:MutualDefenseClause) }}"""
    assert len(rows(store, ask)) == 1


# Formed or changed from 2019 (data/curated/new-since-2018.ttl): a declared mutual assistance clause makes an
# alliance (the reasoner concludes it); a partnership the sources say has no mutual defence commitment does not.
CLASSIFIED = {
    "turkey-azerbaijan": True,      # Shusha Declaration: "the parties will provide each other with the necessary assistance" (Silk Way News)
    "france-poland": True,          # Treaty of Nancy, Article 4(2): "mutuellement, y compris par des moyens militaires" (NAE; La Revue Demos)
    "uk-germany": True,             # Kensington Treaty: "mutual assistance, including by military means" (OSW, 24 July 2025)
    "france-germany": True,         # Treaty of Aachen, Article 4(1): "its mutual defence clause" (Egmont Institute, February 2019)
    "saudi-arabia-pakistan": True,  # "any aggression against either country shall be considered an aggression against both" (SPA via NewsHour)
    "uk-ukraine": False,            # "no mutual defence commitments" (European Pravda, 12 June 2024): consultation within 24 hours
    "usa-ukraine": False,           # the same source; an executive agreement to consult within 24 hours (UNN/Reuters)
    "china-solomon-islands": False,  # text unpublished, no clause for the joint use of force in any source held
    # the paper's record, now with the 2024 Treaty on Security Guarantees, Article 2 (BelTA; Izvestia)
    "russia-belarus": True,
}


@pytest.mark.parametrize("key", sorted(CLASSIFIED))
def test_new_partnerships_are_classified_by_their_clauses(store, key):
    found = rows(store, f"""PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?kind WHERE {{ <{ID}partnership/{key}> a akg:SecurityPartnership .
          OPTIONAL {{ <{ID}partnership/{key}> a akg:Alliance ; akg:hasScopeCondition ?c . ?c a ?kind FILTER (?kind = akg:MutualDefenseClause) }} }}""")
    assert len(found) == 1
    assert ("kind" in found[0]) == CLASSIFIED[key]


@pytest.mark.parametrize("key, start, confirmed, later", [
    ("uk-germany", "2025-07-17", "2025-07-24", "2025-12-31"),             # signed 17 July (OSW), OSW's analysis of 24 July 2025
    ("saudi-arabia-pakistan", "2025-09-17", "2025-09-18", "2025-12-31"),  # The National, 17 September; NewsHour, 18 September
    # the Treaty of Nancy: signed 9 May 2025 (gov.pl), in force 22 January 2026 (Polski FR), so not yet in force on the
    # curation date (2025-12-31), although signed
    ("france-poland", "2026-01-22", "2026-01-22", "2026-06-30"),
])
def test_formed_in_2025(store, key, start, confirmed, later):
    # dated by the entry into force, or the signature where no source gives one: not there the day before,
    # confirmed up to its latest source, presumed after it
    before = str(date.fromisoformat(start) - timedelta(days=1))
    assert [status(store, "partnership/" + key, d) for d in (before, start, confirmed, later)] == \
        [None, "confirmed", "confirmed", "presumed"]


def test_the_treaty_of_nancy_is_signed_but_not_in_force_on_the_curation_date(store):
    found = rows(store, f"""PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?signed ?in WHERE {{ <{ID}agreement/treaty-of-nancy-2025> akg:signedOn ?signed ; akg:enteredIntoForce ?in }}""")
    assert found == [{"signed": "2025-05-09", "in": "2026-01-22"}]
    assert status(store, "partnership/france-poland", "2025-12-31") is None


def test_russia_iran_treaty_entered_into_force(store):
    # Russia's Foreign Ministry: in force from 2 October 2025 (Mizan); the partnership is confirmed to that day
    found = rows(store, f"""PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?in ?signed (MAX(?c) AS ?last) WHERE {{ <{ID}agreement/russia-iran-treaty-2025> akg:enteredIntoForce ?in ;
          akg:signedOn ?signed . <{ID}partnership/russia-iran> akg:lastConfirmed ?c }} GROUP BY ?in ?signed""")
    assert found == [{"in": "2025-10-02", "signed": "2025-01-17", "last": "2025-10-02"}]


def test_the_dataset_says_how_far_it_is_curated(store):
    found = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?d WHERE { ?ds a akg:Dataset ; akg:curatedUntil ?d }""")
    assert [r["d"] for r in found] == ["2025-12-31"]


# One alliance, one IRI: ATOP's records of NATO (3180), ANZUS (3215), the SCO (4810), the EU (4175) and the AU
# (4953) are the curated records; their old IRIs carry nothing but owl:sameAs, so they have no status of their own.
@pytest.mark.parametrize("old, merged", [("atop-3180", "nato"), ("atop-3215", "anzus"), ("atop-4810", "sco"),
                                         ("atop-4175", "european-union"), ("atop-4953", "african-union")])
def test_old_atop_iris_have_no_status_of_their_own(store, old, merged):
    assert [status(store, "partnership/" + old, d) for d in DATES] == [None, None, None]
    assert rows(store, f"SELECT ?o WHERE {{ <{ID}partnership/{old}> ?p ?o }}") == [{"o": f"{ID}partnership/{merged}"}]


def answers(store) -> dict[str, list]:
    # SPARQL leaves the order of GROUP_CONCAT unspecified (Oxigraph's varies between runs: "RUS PRK" or
    # "PRK RUS" in changes-between-dates), so a concatenated value is compared as its sorted parts
    def plain(value: str) -> str:
        return " ".join(sorted(value.split(" "))) if " " in value and "://" in value else value
    return {path.stem: sorted(tuple(sorted((k, plain(v)) for k, v in r.items())) for r in rows(store, path.read_text()))
            for path in sorted((PROJECT_ROOT / "queries").glob("*.rq"))}


def test_every_query_counts_each_alliance_once(store):
    """Every query of queries/ answers the same with and without the merged alliances' old IRIs (whose
    only statements are owl:sameAs the curated IRI), and none answers with an old IRI."""
    old = rows(store, f"""SELECT ?g ?s ?o WHERE {{ GRAPH ?g {{ ?s <http://www.w3.org/2002/07/owl#sameAs> ?o }}
                          FILTER (STRSTARTS(STR(?s), "{ID}") && STRSTARTS(STR(?o), "{ID}")) }}""")
    # eleven partnerships; 218 ATOP member rows (70 of NATO and the US treaties, 43 of the EU, 105 of the AU)
    assert len(old) == 11 + 218
    with_old = answers(store)
    data = " ".join(f"GRAPH <{r['g']}> {{ <{r['s']}> <http://www.w3.org/2002/07/owl#sameAs> <{r['o']}> }}" for r in old)
    store.update(f"DELETE DATA {{ {data} }}")
    try:
        without_old = answers(store)
    finally:
        store.update(f"INSERT DATA {{ {data} }}")
    assert with_old == without_old
    old_iris = {r["s"] for r in old}
    assert not {value for name, found in with_old.items() for row in found for _, value in row} & old_iris


def test_no_data_statement_is_made_in_two_graphs(store):
    """The default graph is the union of the named graphs, and a statement made in two of them answers
    a pattern twice (in Virtuoso as in Oxigraph's union), so a naive count counts it twice: a curated
    file adds to the paper's record or ATOP's, and never repeats a statement of theirs."""
    repeated = rows(store, """SELECT ?s ?p ?o (GROUP_CONCAT(STR(?g); separator=" ") AS ?graphs) WHERE {
        GRAPH ?g { ?s ?p ?o }
        FILTER (STRSTARTS(STR(?g), "https://w3id.org/alliance-kg/graph/data/"))
      } GROUP BY ?s ?p ?o HAVING (COUNT(?g) > 1) LIMIT 20""")
    assert repeated == []
