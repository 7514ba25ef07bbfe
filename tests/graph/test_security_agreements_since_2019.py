"""Security partnerships formed since 2019 (data/curated/new-since-2018-security-agreements.ttl), answered over
the served graph: in force or not on a date, their members, and their classification by a declared clause.
Each expectation names its source (described at the end of that file)."""
from __future__ import annotations

import pytest

from ..conftest import rows
from .test_coverage import STATUS  # the status rule of ontology/README.md, "Coverage"

ID = "https://w3id.org/alliance-kg/id/"
AKG = "PREFIX akg: <https://w3id.org/alliance-kg/ontology#>\n"



DATES = ("2024-06-30", "2025-01-01", "2025-12-31")
# Ukraine's Ministry of Defence names every Ukrainian partner below among the 28 agreements concluded "as of
# November 2025" (mod.gov.ua): so an agreement signed by a date is confirmed on 2025-01-01 and presumed on the
# curation date, 2025-12-31, after the month the Ministry speaks for.
EXPECTED = {
    # signed in Berlin on 16 February 2024 (European Pravda; Espreso)
    "germany-ukraine": ("confirmed", "confirmed", "presumed"),
    # signed in Paris on 16 February 2024 (Babel; Deutsche Welle)
    "france-ukraine": ("confirmed", "confirmed", "presumed"),
    # signed in Kyiv on 24 February 2024 (European Pravda; Il Post)
    "italy-ukraine": ("confirmed", "confirmed", "presumed"),
    # signed in Kyiv on 24 February 2024 (Rubryka; New Pathway)
    "canada-ukraine": ("confirmed", "confirmed", "presumed"),
    # signed at the G7 summit in Apulia on 13 June 2024 (Reuters; Jiji Press)
    "japan-ukraine": ("confirmed", "confirmed", "presumed"),
    # signed in Warsaw on 8 July 2024 (European Pravda; dpa): not yet on 30 June 2024
    "poland-ukraine": (None, "confirmed", "presumed"),
    # signed in Washington on 11 July 2024 (Obozrevatel; Romania Insider)
    "romania-ukraine": (None, "confirmed", "presumed"),
    # signed near Oxford on 18 July 2024 (Radio Prague; Polskie Radio)
    "czechia-ukraine": (None, "confirmed", "presumed"),
    # signed in Kyiv on 4 September 2024 (President of Ukraine)
    "ireland-ukraine": (None, "confirmed", "presumed"),
    # signed in Davos, first reported on 21 January 2025 (RBC-Ukraine): after both 2024 dates
    "albania-ukraine": (None, None, "presumed"),
    # in force 13 August 2023 (Ministry of Foreign Affairs of Japan), last confirmed by the first F-35
    # deployment under it (Katherine Times, 21 August 2023): presumed since
    "japan-australia": ("presumed", "presumed", "presumed"),
    # in force 15 October 2023 by the exchange of notes (Ministry of Foreign Affairs of Japan), nothing later held
    "japan-uk": ("presumed", "presumed", "presumed"),
    # signed 8 July 2024 (Ministry of Foreign Affairs of Japan) but in force only from 11 September 2025
    # (Manila Bulletin; Daily Tribune): no status on the two earlier dates although signed
    "japan-philippines": (None, None, "presumed"),
}

# The parties (the same sources): each partnership has exactly these members.
MEMBERS = {key: {"UKR", other} for key, other in [
    ("germany-ukraine", "DEU"), ("france-ukraine", "FRA"), ("italy-ukraine", "ITA"), ("canada-ukraine", "CAN"),
    ("japan-ukraine", "JPN"), ("poland-ukraine", "POL"), ("romania-ukraine", "ROU"), ("czechia-ukraine", "CZE"),
    ("ireland-ukraine", "IRL"), ("albania-ukraine", "ALB")]}
MEMBERS |= {"japan-australia": {"JPN", "AUS"}, "japan-uk": {"JPN", "GBR"}, "japan-philippines": {"JPN", "PHL"}}

# Not one of them declares a scope condition, so none is an alliance: the sources say Ukraine's agreements
# offer "a consultation within 24 hours", "no pledge that Kyiv's allies will send troops" (Politico, 9 July
# 2024), "not the same as the mutual defence pact between NATO nations" (Reuters, 27 June 2024). Those whose
# sources say so are recorded as partnerships without a scope condition; Czechia's (a reported reciprocal
# assistance provision whose words were not found, Polskie Radio citing CTK) and the Reciprocal Access
# Agreements (status-of-forces treaties, Ministry of Foreign Affairs of Japan) are left unclassified.
WITHOUT_SCOPE_CONDITION = {"germany-ukraine", "france-ukraine", "italy-ukraine", "canada-ukraine", "japan-ukraine",
                           "poland-ukraine", "romania-ukraine", "ireland-ukraine", "albania-ukraine"}
UNCLASSIFIED = {"czechia-ukraine", "japan-australia", "japan-uk", "japan-philippines"}


def status(store, key: str, date: str) -> str | None:
    found = rows(store, STATUS % (ID + "partnership/" + key, date))
    assert len(found) <= 1
    return found[0]["status"] if found else None


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_in_force_on_three_dates(store, key):
    assert tuple(status(store, key, d) for d in DATES) == EXPECTED[key]


@pytest.mark.parametrize("key", sorted(MEMBERS))
def test_members(store, key):
    found = rows(store, AKG + f"""SELECT ?state WHERE {{
        <{ID}partnership/{key}> akg:hasMembership/akg:member ?state }}""")
    assert {r["state"].rsplit("/", 1)[-1] for r in found} == MEMBERS[key]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_none_is_an_alliance(store, key):
    found = rows(store, AKG + f"""SELECT ?alliance ?clause ?without WHERE {{
        <{ID}partnership/{key}> a akg:SecurityPartnership .
        BIND (EXISTS {{ <{ID}partnership/{key}> a akg:Alliance }} AS ?alliance)
        BIND (EXISTS {{ <{ID}partnership/{key}> akg:hasScopeCondition ?c }} AS ?clause)
        BIND (EXISTS {{ <{ID}partnership/{key}> a akg:PartnershipWithoutScopeCondition }} AS ?without) }}""")
    assert len(found) == 1
    assert (found[0]["alliance"], found[0]["clause"]) == ("false", "false")
    assert found[0]["without"] == ("true" if key in WITHOUT_SCOPE_CONDITION else "false")
    assert (key in WITHOUT_SCOPE_CONDITION) != (key in UNCLASSIFIED)


def test_every_ukrainian_agreement_of_the_file_is_without_a_clause_but_czechias(store):
    # 25 agreements with Ukraine in the file (its header); all but Czechia's typed without a scope condition
    found = rows(store, AKG + f"""SELECT ?p ?without WHERE {{
        ?p akg:hasMembership/akg:member <{ID}state/UKR> ; akg:establishedBy ?a .
        FILTER (STRENDS(STR(?a), "-ukraine-security-agreement-2024") || STRENDS(STR(?a), "-ukraine-long-term-cooperation-agreement-2025"))
        BIND (EXISTS {{ ?p a akg:PartnershipWithoutScopeCondition }} AS ?without) }}""")
    unclassified = {r["p"].rsplit("/", 1)[-1] for r in found if r["without"] == "false"}
    assert len(found) == 25
    assert unclassified == {"czechia-ukraine"}


@pytest.mark.parametrize("agreement, signed, in_force, partnership", [
    # Ministry of Foreign Affairs of Japan: signed 6 January 2022, in force 13 August 2023
    ("japan-australia-reciprocal-access-agreement-2022", "2022-01-06", "2023-08-13", "japan-australia"),
    # the same: signed 11 January 2023, in force 15 October 2023
    ("japan-uk-reciprocal-access-agreement-2023", "2023-01-11", "2023-10-15", "japan-uk"),
    # the same: signed 8 July 2024; in force 11 September 2025 (Manila Bulletin; Daily Tribune)
    ("japan-philippines-reciprocal-access-agreement-2024", "2024-07-08", "2025-09-11", "japan-philippines"),
])
def test_reciprocal_access_agreements_start_on_entry_into_force(store, agreement, signed, in_force, partnership):
    found = rows(store, AKG + f"""SELECT ?signed ?in ?start WHERE {{
        <{ID}agreement/{agreement}> a akg:Treaty ; akg:signedOn ?signed ; akg:enteredIntoForce ?in .
        <{ID}partnership/{partnership}> akg:establishedBy <{ID}agreement/{agreement}> ; akg:startDate ?start }}""")
    assert found == [{"signed": signed, "in": in_force, "start": in_force}]


# The alliances of the file: each is one because its clause is recorded (the reasoner concludes akg:Alliance).
ALLIANCES = {
    # Article 2 of the Strategic Partnership (Janes), signed 28 September 2021, ratified by Greece 7 October 2021
    # (TRT World); its renewal in preparation on 29 January 2026 (iefimerida.gr) confirms it to that day
    "france-greece": ("akg:MutualDefenseClause", {"FRA", "GRC"}, (None, "confirmed", "confirmed", "confirmed")),
    # Falepili Union: Australia obliged to respond to Tuvalu's call against military aggression (the Prime
    # Minister's release), in force 28 August 2024 (AAP), nothing later held
    "australia-tuvalu": ("akg:UnilateralSecurityGuarantee", {"AUS", "TUV"}, (None, None, "presumed", "presumed")),
    # Pukpuk Treaty: mutual defence (Local News Wave; NBC PNG), signed 6 October 2025 (PNG Haus Bung), dated by
    # its signature (no entry into force found)
    "australia-papua-new-guinea": ("akg:MutualDefenseClause", {"AUS", "PNG"}, (None, None, None, "presumed")),
}


@pytest.mark.parametrize("key", sorted(ALLIANCES))
def test_alliances_by_their_clauses(store, key):
    kind, members, statuses = ALLIANCES[key]
    found = rows(store, AKG + f"""SELECT ?state WHERE {{
        <{ID}partnership/{key}> a akg:Alliance ; akg:hasScopeCondition ?c ; akg:hasMembership/akg:member ?state .
        ?c a {kind} }}""")
    assert {r["state"].rsplit("/", 1)[-1] for r in found} == members
    assert tuple(status(store, key, d) for d in ("2019-06-01",) + DATES) == statuses
