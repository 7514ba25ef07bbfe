"""Saved queries that answer "in force on a date" say how they know it (issue 12, section 1): each
membership is confirmed by a source on the date or only presumed (ontology/README.md, "Coverage"),
summaries count the two apart, and the contested claims list both sides with their sources."""
from __future__ import annotations

from .test_queries import P, S, answer, column

ID = "https://w3id.org/alliance-kg/id/"
NEW_YEAR_2025 = '"2025-01-01"^^xsd:date'


def test_in_force_on_date_gives_a_status(store):
    result = answer(store, "in-force-on-date", date=NEW_YEAR_2025)
    status = {(r["partnership"], r["member"]): r["status"] for r in result}
    partnership_status = {r["partnership"]: r["partnershipStatus"] for r in result}
    # The paper (issued 2025, latest fact 2025-01-17) speaks for NATO and the Russia-DPRK treaty;
    # NATO's members are named last by the Washington Summit Declaration of 2024-07-10, the eight Baltic Sea
    # Allies by their Helsinki summit of 2025-01-14 (Overt Defense; confirmations.ttl).
    assert partnership_status[P("nato")] == "confirmed"
    assert status[(P("nato"), S("SWE"))] == "confirmed"
    assert status[(P("nato"), S("FRA"))] == "presumed"
    assert status[(P("russia-dprk"), S("PRK"))] == "confirmed"
    assert set(status.values()) == {"confirmed", "presumed"}
    # On the default date every membership is confirmed by a later source
    assert column(answer(store, "in-force-on-date"), "status") == {"confirmed"}


def test_member_count_counts_presumed_apart(store):
    on_2025 = {r["partnership"]: (int(r["memberCount"]), int(r["confirmedCount"]), int(r["presumedCount"]))
               for r in answer(store, "member-count-on-date", date=NEW_YEAR_2025)}
    assert on_2025[P("nato")] == (32, 8, 24)       # the Baltic Sea Allies to 2025-01-14, the others to 2024-07-10
    assert on_2025[P("sco")] == (10, 0, 10)        # Astana Declaration, 2024-07-04
    assert on_2025[P("usa-japan")] == (2, 2, 0)    # the paper, 2025-01-17
    default = answer(store, "member-count-on-date")
    assert all(int(r["presumedCount"]) == 0 and r["confirmedCount"] == r["memberCount"] for r in default)


def test_atop_alliances_in_2025_are_mostly_presumed(store):
    result = answer(store, "atop-alliances-in-force-in-year", year="2025")
    by_atop = {}
    for r in result:
        by_atop.setdefault(int(r["atopId"]), set()).add(r["status"])
    assert by_atop[3375] == {"confirmed"}   # US-Japan: ATOP's record takes the paper's confirmation
    assert by_atop[4867] == {"presumed"}    # an ATOP-only alliance: nothing held confirms it after 2018
    assert by_atop[4175] == {"presumed"}    # the EU: confirmed to 2020-01-31 by the Brexit sources
    # the United Kingdom left the EU on 2020-01-31 (ends.ttl): no 2025 row
    assert S("GBR") not in {r["member"] for r in result if r["atopId"] == "4175"}
    # 1914: ATOP dates every spell, so every row is confirmed
    assert column(answer(store, "atop-alliances-in-force-in-year"), "status") == {"confirmed"}


def test_dyads_count_presumed_apart(store):
    result = answer(store, "atop-dyads-allied-in-year", year="2025")
    for r in result:
        assert int(r["confirmedAlliances"]) + int(r["presumedAlliances"]) == int(r["sharedAlliances"])
    pairs = {(r["stateA"], r["stateB"]): r for r in result}
    assert int(pairs[(S("JPN"), S("USA"))]["confirmedAlliances"]) >= 1
    assert int(pairs[(S("KAZ"), S("KGZ"))]["confirmedAlliances"]) == 0


def test_presumed_without_confirmation_since_2018(store):
    result = answer(store, "presumed-without-confirmation-since-2018")
    kinds = {}
    for r in result:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    # ontology/README.md: 360 of ATOP's 372 alliances open at 2018 stay presumed, 1,090 memberships
    assert kinds == {"partnership": 360, "membership": 1090}
    found = column(result, "resource")
    assert P("atop-4867") in found
    assert not {P("nato"), P("atop-3180"), P("russia-dprk"), P("atop-4875")} & found
    assert f"{ID}membership/atop-4175-GBR-phase-2" not in found    # ended 2020-01-31
    assert column(result, "curatedUntil") == {"2025-01-17"}


def test_contested_claims(store):
    result = answer(store, "contested-claims")
    claims = {(r["subject"], r["aspect"], r["record"]): r["claim"] for r in result}
    # NATO's start: entry into force (the paper's record) against signature (ATOP 3180)
    assert claims[(P("nato"), "partnership start", P("nato"))] == "1949-08-24"
    assert claims[(P("nato"), "partnership start", f"{ID}claim/atop-3180-startDate")] == "1949-04-04"
    # France-Djibouti: an alliance for the paper, not for ATOP 6040
    assert claims[(P("france-djibouti"), "is an alliance", P("france-djibouti"))] == "an alliance"
    assert claims[(P("france-djibouti"), "is an alliance", f"{ID}claim/atop-6040-type")] == "not an alliance"
    # ATOP's record is on the curated IRI: its claims name ATOP's file and row, its old IRI is no record
    assert not any(r["record"].startswith(P("atop-")) for r in result)
    atop_sources = {r["claimSource"] for r in result if r["record"].startswith(f"{ID}claim/")}
    assert atop_sources == {f"{ID}source/atop-5.1-alliances", f"{ID}source/atop-5.1-members"}
    # New Zealand in ANZUS: the curated note keeps the reading that it never formally left
    nzl = claims[(f"{ID}membership/anzus-NZL", "noted by a curator", f"{ID}membership/anzus-NZL")]
    assert "never withdrew" in nzl
    sources = {r["claimSource"] for r in result if r["record"] == f"{ID}membership/anzus-NZL"}
    assert f"{ID}source/britannica-anzus-treaty" in sources
    # every claim names its source
    assert all(r.get("claimSource") for r in result)
