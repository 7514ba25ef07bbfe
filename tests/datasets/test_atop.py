"""The ATOP 5.1 import (service/datasets/atop.py, data/atop/) and its queries (queries/atop-*.rq).

Expected numbers are computed here from the raw CSV files with the csv module, independently of
the builder, or are the counts SOURCES.md documents (789 alliances, 849 phases, 2,510 member rows).
"""
from __future__ import annotations

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, XSD

from service.datasets import atop, states

from ..conftest import PROJECT_ROOT, rows

RAW = PROJECT_ROOT.parent / "shared" / "data" / "raw"
ATOP_DIR = RAW / "atop_v5.1"
COMMITTED = PROJECT_ROOT / "data" / "atop"
QUERIES = PROJECT_ROOT / "queries"
AKG = atop.AKG
ID = atop.ID
P = atop.PARTNERSHIP
# the curated records ATOP's are written on: their akg:atopId is the curated file's statement, not the build's
MERGED = {P[merge.key]: int(atopid) for atopid, merge in atop.MERGES.items()}


def atop_id(graph: Graph, partnership) -> int:
    return MERGED.get(partnership) or int(graph.value(partnership, AKG.atopId))


def read(name: str) -> list[dict]:
    with (ATOP_DIR / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def alliances_csv():
    return read("atop5_1a.csv")


@pytest.fixture(scope="module")
def members_csv():
    return read("atop5_1m.csv")


@pytest.fixture(scope="module")
def built() -> dict[str, Graph]:
    return atop.build_atop(RAW)


@pytest.fixture(scope="module")
def graph(built) -> Graph:
    g = Graph()
    for part in built.values():
        g += part
    return g


@pytest.fixture(scope="module")
def store(shipped):
    return shipped[0]


def answer(store, name: str, **values) -> list[dict]:
    text = (QUERIES / f"{name}.rq").read_text()
    for variable, value in values.items():
        text = re.sub(r"VALUES \?" + variable + r" \{[^}]*\}", f"VALUES ?{variable} {{ {value} }}", text)
    return rows(store, text)


def force(row: dict) -> bool:
    return row["defense"] == "1" or row["offense"] == "1"


# ------------------------------------------------------------------ the build

def test_rebuild_equals_the_committed_files(built):
    for name, g in built.items():
        assert (COMMITTED / name).read_bytes() == atop.serialize(name, g), f"data/atop/{name} is stale: run alliance-kg build-data"


def test_counts_match_the_raw_files(graph, alliances_csv, members_csv):
    assert len(alliances_csv) == 789 and len(members_csv) == 2510
    partnerships = set(graph.subjects(AKG.atopId, None))
    assert len(partnerships) == 789 - len(MERGED) == 778 and not set(MERGED) & partnerships
    partnerships |= set(MERGED)
    assert {atop_id(graph, p) for p in partnerships} == {int(r["atopid"]) for r in alliances_csv}
    # every member row is a membership of its own, or one spell of the merged membership it belongs to: typed and
    # linked by the curated record (data/paper), or by the build where the curated record lists no members (the
    # EU, 4175, and the AU, 4953: one membership per state, ATOP's phases as one spell)
    memberships = set(graph.subjects(RDF.type, AKG.Membership))
    retired = {m for m in graph.subjects(OWL.sameAs, None) if str(m).startswith(ID + "membership/")}
    merged = {graph.value(m, OWL.sameAs) for m in retired}
    from_atop = {atopid for atopid, merge in atop.MERGES.items() if merge.members_from_atop}
    assert from_atop == {"4175", "4953"}
    rows_of = Counter(r["atopid"] for r in members_csv)
    states_of = {a: {r["member"] for r in members_csv if r["atopid"] == a} for a in from_atop}
    # EU: 15 rows of phase 1 and 28 of phase 2, 28 states; AU: 52 rows of phase 1 and 53 of phase 2, 53 states
    assert (rows_of["4175"], len(states_of["4175"]), rows_of["4953"], len(states_of["4953"])) == (43, 28, 105, 53)
    assert len(retired) == 70 + 43 + 105 and len(merged) == 50 + 28 + 53
    assert {m for m in merged & memberships} == {m for m in merged if str(m).startswith(
        (f"{ID}membership/european-union-", f"{ID}membership/african-union-"))} and len(merged & memberships) == 81
    records = {str(r) for m in memberships | merged for r in graph.objects(m, AKG.sourceRecord)}
    assert records == {f"atop5_1m.csv row {n}" for n in range(1, 2511)}
    assert len(memberships) == 2510 - len(retired) + 81 == 2373
    assert len(set(graph.subjects(RDF.type, AKG.Treaty))) == len(read("atop5_1aph.csv")) == 849
    # every member state of ATOP is a state of the graph (states.ttl, or the one code COW lacks)
    members = {o for o in graph.objects(None, AKG.member)}
    assert len(members) == len({r["member"] for r in members_csv}) == 208


def test_scope_conditions_exactly_for_defence_and_offence(graph, alliances_csv):
    with_clause = {atop_id(graph, p) for p in graph.subjects(AKG.hasScopeCondition, None)}
    assert with_clause == {int(r["atopid"]) for r in alliances_csv if force(r)}
    assert len(with_clause) == 294
    without = {atop_id(graph, p) for p in graph.subjects(RDF.type, AKG.PartnershipWithoutScopeCondition)}
    # on a merged record ATOP's "without scope condition" is a source claim, not asserted: the curated record
    # classifies (the SCO, 4810, and the African Union, 4953, as ATOP; France-Djibouti, 6040, with the paper's
    # scope condition)
    assert without == {int(r["atopid"]) for r in alliances_csv if not force(r)} - {4810, 4953, 6040}
    claim = atop.CLAIM["atop-6040-type"]
    assert (claim, AKG.claimAbout, P["france-djibouti"]) in graph
    assert (claim, AKG.claimValue, AKG.PartnershipWithoutScopeCondition) in graph
    # neutrality, non-aggression and consultation are obligations, never scope conditions
    for cls in (AKG.NeutralityObligation, AKG.NonAggressionObligation, AKG.ConsultationObligation):
        for obligation in graph.subjects(RDF.type, cls):
            assert (None, AKG.hasScopeCondition, obligation) not in graph
            assert str(obligation).startswith(ID + "obligation/")


def test_last_confirmed_exactly_where_atop_records_no_end(graph, alliances_csv, members_csv):
    """ATOP 5.1 ends on 2018-12-31: what it records in force then is confirmed up to that day, and
    nothing it records as ended carries a confirmation."""
    end = Literal("2018-12-31", datatype=XSD.date)
    confirmed = {atop_id(graph, p) for p in graph.subjects(AKG.lastConfirmed, end)
                 if (p, AKG.atopId, None) in graph or p in MERGED}
    assert confirmed == {int(r["atopid"]) for r in alliances_csv if r["endyr"] == "0"}
    assert len(confirmed) == 372
    merged = {o for s, o in graph.subject_objects(OWL.sameAs) if str(s).startswith(ID + "membership/")}
    # a merged membership is confirmed by its last ATOP spell, open at the end: one each, as many as open rows
    memberships = {m for m in graph.subjects(AKG.lastConfirmed, end) if (m, RDF.type, AKG.Membership) in graph or m in merged}
    assert len(memberships) == sum(1 for r in members_csv if r["yrexit"] == "0") == 1146
    assert not any((m, AKG.endDate, None) in graph for m in memberships)
    assert set(graph.objects(None, AKG.lastConfirmed)) == {end}
    assert graph.value(atop.DATASET, AKG.coverageUntil) == end


def test_the_importer_never_asserts_alliance(graph):
    assert (None, RDF.type, AKG.Alliance) not in graph
    for name in atop.OUTPUT_FILES:
        assert "akg:Alliance " not in (COMMITTED / name).read_text()


def test_the_reasoner_classifies_the_atop_alliances(store, alliances_csv):
    found = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?id WHERE { ?p a akg:Alliance ; akg:atopId ?id }""")
    # and France-Djibouti (6040), an alliance by the curated record's scope condition, not by ATOP's coding
    assert {int(r["id"]) for r in found} == {int(r["atopid"]) for r in alliances_csv if force(r)} | {6040}


def test_conditions_and_mutual_defence(graph):
    nato = P["nato"]  # ATOP 3180, on the curated IRI
    clauses = set(graph.objects(nato, AKG.hasScopeCondition))
    assert clauses == {atop.SCOPE["atop-3180-phase-1-defence"], atop.SCOPE["atop-3180-phase-2-defence"]}
    for clause in clauses:
        assert (clause, RDF.type, AKG.MutualDefenseClause) in graph
        # Article 5 covers "an armed attack ... in Europe or North America": ATOP codes DEFCOLOC
        assert (clause, AKG.conditionalOn, AKG.LocationCondition) in graph
    # asymmetric: one guarantor, the others beneficiaries (ATOP 3790, France for Djibouti, 1977)
    clause = atop.SCOPE["atop-3790-defence"]
    assert (clause, RDF.type, AKG.UnilateralSecurityGuarantee) in graph
    assert set(graph.objects(clause, AKG.guarantor)) == {states.STATE["FRA"]}
    assert set(graph.objects(clause, AKG.beneficiary)) == {states.STATE["DJI"]}


def test_provenance_names_file_and_row(graph, members_csv):
    sources = set(atop.FILE_SOURCES.values())
    for kind in (AKG.SecurityPartnership, AKG.Treaty, AKG.Membership, AKG.ScopeCondition, AKG.Obligation,
                 AKG.NeutralityObligation, AKG.NonAggressionObligation, AKG.ConsultationObligation, AKG.SourceClaim):
        for s in graph.subjects(RDF.type, kind):
            assert set(graph.objects(s, PROV.wasDerivedFrom)) & sources, s
            assert list(graph.objects(s, AKG.sourceRecord)), s
    # each membership's record points at the member row it came from
    for membership in graph.subjects(RDF.type, AKG.Membership):
        for record in graph.objects(membership, AKG.sourceRecord):
            file, number = re.fullmatch(r"(\S+) row (\d+)", str(record)).groups()
            row = members_csv[int(number) - 1]
            assert file == "atop5_1m.csv"
            merge = atop.MERGES.get(row["atopid"])
            assert str(membership).startswith((f"{ID}membership/atop-{row['atopid']}-",)
                                              + ((f"{ID}membership/{merge.key}-",) if merge else ()))
            code = int(graph.value(graph.value(membership, AKG.member), AKG.cowCode) or -1)
            # one exception: ATOP's West Germany (260) in NATO, merged into Germany's membership (a claim keeps it)
            assert code in (int(row["member"]), -1) or (str(membership), row["member"]) == (f"{ID}membership/nato-DEU", "260")


def test_sources_carry_the_documented_checksums(graph):
    sums = dict(reversed(line.split()) for line in (RAW / "SOURCES.md").read_text().splitlines()
                if re.fullmatch(r"\s*[0-9a-f]{64}\s+\S+\s*", line))
    for relative, source in atop.FILE_SOURCES.items():
        assert str(graph.value(source, AKG.sha256)) == sums[relative]
        assert graph.value(source, URIRef("http://purl.org/dc/terms/isPartOf")) == atop.DATASET
    citation = str(graph.value(atop.DATASET, URIRef("http://purl.org/dc/terms/bibliographicCitation")))
    assert "Leeds, Brett Ashley, Jeffrey M. Ritter, Sara McLaughlin Mitchell, and Andrew G. Long. 2002." in citation
    assert str(graph.value(atop.DATASET, URIRef("http://purl.org/dc/terms/hasVersion"))) == "5.1"


def test_missing_days_are_flagged(graph, members_csv):
    flagged = {s for s in graph.subjects(AKG.dayNotGiven, None) if (s, RDF.type, AKG.Membership) in graph}
    expected = sum(1 for r in members_csv if r["dayent"] in ("", "0") or (r["yrexit"] != "0" and r["dayexit"] in ("", "0")))
    assert len(flagged) == expected > 0


def test_missing_raw_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"states2016\.csv|atop5_1a\.csv"):
        atop.build_atop(tmp_path)


def test_truncated_file_is_refused(tmp_path):
    shutil.copytree(RAW, tmp_path / "raw")
    path = tmp_path / "raw" / atop.MEMBER_FILE
    path.chmod(0o644)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))
    with pytest.raises(atop.RawDataError, match=r"atop5_1m\.csv: 2509 data rows"):
        atop.write_atop(tmp_path / "raw", tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is written when the build fails"


# ------------------------------------------------------------------ curated links

def test_curated_partnerships_link_to_their_atop_records(store):
    found = answer(store, "atop-curated-and-atop-records-compared")
    by_id = {int(r["atopId"]): r for r in found}
    assert set(by_id) == {3180, 3210, 3215, 3240, 3260, 3375, 3445, 4175, 4810, 4953, 6040}
    nato = by_id[3180]
    assert (nato["curatedStart"], nato["atopStart"]) == ("1949-08-24", "1949-04-04")
    assert by_id[6040]["curatedIsAlliance"] == "true" and by_id[6040]["atopIsAlliance"] == "false"


def test_nato_dates_from_both_sources(store, members_csv):
    found = {r["member"]: r for r in answer(store, "atop-nato-membership-dates-compared")}
    assert len(found) == 32
    assert found[ID + "state/MNE"]["natoDate"] == "2017-06-05"
    montenegro = next(r for r in members_csv if r["atopid"] == "3180" and r["member"] == "341")
    assert found[ID + "state/MNE"]["atopDate"] == f"{int(montenegro['yrent']):04d}-{int(montenegro['moent']):02d}-{int(montenegro['dayent']):02d}"
    assert found[ID + "state/MNE"]["atopSource"] == str(atop.FILE_SOURCES[atop.MEMBER_FILE])
    assert "atopDate" not in found[ID + "state/SWE"]



@pytest.mark.parametrize("state, accession, atop_row_date", [
    # 1 May 2004 (EU Delegation to BiH, 'Five years of an Enlarged EU'); ATOP enters them with phase 2, 2007-11-13
    ("POL", "2004-05-01", "2007-11-13"), ("CYP", "2004-05-01", "2007-11-13"),
    # 1 January 2007 (the same; EUROPA, 5 January 2007)
    ("ROU", "2007-01-01", "2007-11-13"),
    # 1 July 2013 (Eurostat's glossary); ATOP: 2013-01-07
    ("HRV", "2013-07-01", "2013-01-07")])
def test_eu_members_start_on_their_accession_with_atops_date_a_claim(graph, members_csv, state, accession, atop_row_date):
    membership = URIRef(f"{ID}membership/european-union-{state}")
    assert list(graph.objects(membership, atop.AKG.startDate)) == [Literal(accession, datatype=XSD.date)]
    claims = [c for c in graph.subjects(atop.AKG.claimAbout, membership)
              if (c, atop.AKG.claimProperty, atop.AKG.startDate) in graph]
    assert [graph.value(c, atop.AKG.claimValue) for c in claims] == [Literal(atop_row_date, datatype=XSD.date)]
    # the claim's value is ATOP's row, read again here from the raw file
    cow = {"POL": "290", "CYP": "352", "ROU": "360", "HRV": "344"}[state]
    row = next(r for r in members_csv if r["atopid"] == "4175" and r["member"] == cow)
    assert atop_row_date == f"{int(row['yrent']):04d}-{int(row['moent']):02d}-{int(row['dayent']):02d}"
    assert set(graph.objects(membership, PROV.wasDerivedFrom)) >= {URIRef(f"{ID}source/atop-5.1-members")}


# ------------------------------------------------------------------ the questions

def test_defence_pacts_per_decade(store, alliances_csv):
    expected = Counter(int(r["begyr"]) // 10 * 10 for r in alliances_csv if r["defense"] == "1")
    found = {int(r["decade"]): int(r["defencePacts"]) for r in answer(store, "atop-defence-pacts-per-decade")}
    assert found == dict(expected)


def test_alliance_endings(store, alliances_csv):
    found = answer(store, "atop-alliance-endings")
    totals = Counter()
    for r in found:
        totals[r["end"].rsplit("#", 1)[1]] += int(r["alliances"])
    by_term = Counter(r["term"] for r in alliances_csv)
    assert totals == {"EndedByFulfilment": by_term["1"], "EndedByViolation": by_term["2"],
                      "EndedByRenegotiation": by_term["3"]} == {"EndedByFulfilment": 84, "EndedByViolation": 162,
                                                                  "EndedByRenegotiation": 123}


def test_share_without_scope_conditions_by_period(store, alliances_csv):
    found = {r["period"]: r for r in answer(store, "atop-share-without-scope-conditions-by-period")}

    def period(year: int) -> str:
        return "1815-1913" if year <= 1913 else "1914-1944" if year <= 1944 else "1945-1989" if year <= 1989 else "1990-2018"

    # France-Djibouti (6040) is one record with the curated one, which leaves its start open (the relationship
    # predates the 2011 treaty ATOP codes): ATOP's start is a claim, so the query cannot place it in a period
    atop_total = Counter(period(int(r["begyr"])) for r in alliances_csv if r["atopid"] != "6040")
    # a curated record that is also ATOP's counts once, in ATOP's period (the same for the curated start);
    # France-Djibouti (6040) has the curated record's scope condition
    atop_without = Counter(period(int(r["begyr"])) for r in alliances_csv if not force(r) and r["atopid"] != "6040")
    curated = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?p ?start (EXISTS { ?p akg:hasScopeCondition ?c } AS ?clause) WHERE {
          ?p a akg:SecurityPartnership ; akg:startDate ?start
          FILTER NOT EXISTS { ?p akg:atopId ?id } }""")
    for r in curated:
        year = int(r["start"][:4])
        key = "2019-" if year > 2018 else period(year)
        atop_total[key] += 1
        atop_without[key] += r["clause"] == "false"
    assert {k: int(v["partnerships"]) for k, v in found.items()} == dict(atop_total)
    assert {k: int(v["withoutScopeCondition"]) for k, v in found.items()} == {k: atop_without[k] for k in atop_total}
    assert sum(atop_without[k] for k in atop_total) >= 495


def test_alliances_in_force_in_1914(store, members_csv):
    found = answer(store, "atop-alliances-in-force-in-year")
    members = {(int(r["atopId"]), r["member"].rsplit("/", 1)[1]) for r in found}
    assert {(1350, "DEU"), (1350, "ITA"), (1350, "cow-auh"), (1385, "FRA"), (1385, "RUS")} <= members
    # every row is an active-assistance alliance spell that overlaps 1914 in the raw file
    active = {r["atopid"] for r in read("atop5_1a.csv") if force(r)}
    expected = {(r["atopid"], r["member"]) for r in members_csv if r["atopid"] in active
                and int(r["yrent"]) <= 1914 and (r["yrexit"] == "0" or int(r["yrexit"]) >= 1914)}
    assert len({(str(a), m) for a, m in members}) == len(expected)
    later = answer(store, "atop-alliances-in-force-in-year", year="1950")
    assert 3180 in {int(r["atopId"]) for r in later}


def test_dyads_allied_in_1914(store):
    found = {(r["stateA"].rsplit("/", 1)[1], r["stateB"].rsplit("/", 1)[1]): int(r["sharedAlliances"])
             for r in answer(store, "atop-dyads-allied-in-year")}
    assert found[("DEU", "cow-auh")] == 3   # the Dual Alliance (1335), the Triple Alliance (1350), 1355
    assert found[("FRA", "RUS")] == 1       # the Franco-Russian alliance (1385)
    assert ("FRA", "GBR") not in found      # the Entente cordiale was no alliance in ATOP's coding


def test_portfolio_of_russia(store, members_csv):
    found = answer(store, "atop-portfolio-of-a-state")
    # one row per spell: membership rows of Russia, phases with the same dates counting once
    # (the phases of one membership merged into a curated one, as Russia's in the SCO, ATOP 4810, count once)
    spells = {(r["atopid"],) if r["atopid"] in atop.MERGES else
              (r["atopid"], r["yrent"], r["moent"], r["dayent"], r["yrexit"], r["moexit"], r["dayexit"])
              for r in members_csv if r["member"] == "365"}
    assert len(found) == len(spells)
    assert {int(r["atopId"]) for r in found} == {int(r["atopid"]) for r in members_csv if r["member"] == "365"}
    franco_russian = next(r for r in found if r["atopId"] == "1385")
    assert franco_russian["isAlliance"] == "true" and "defence obligation" in franco_russian["obligations"]


# ------------------------------------------------------------------ quality checks on the whole graph

@pytest.mark.parametrize("path", sorted(QUERIES.glob("qc-*.rq")), ids=lambda p: p.stem)
def test_quality_checks_hold_with_the_atop_import(store, path):
    """tests/graph/test_queries.py runs these over the paper's curated graph; here over everything."""
    assert rows(store, path.read_text()) == []


# ------------------------------------------------------------------ after 2018

def test_after_2018_csto_change_is_sourced_and_keeps_the_membership(store):
    found = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?obs ?date ?src ?url WHERE {
          ?obs akg:concernsPartnership <https://w3id.org/alliance-kg/id/partnership/atop-4220> ;
               akg:concernsActor <https://w3id.org/alliance-kg/id/state/ARM> ;
               akg:startDate ?date ; prov:wasDerivedFrom ?src .
          ?src akg:url ?url }""")
    assert {r["date"] for r in found} == {"2024-02-22"}
    assert len({r["src"] for r in found}) == 2
    # a "freeze" is no withdrawal: Armenia's ATOP membership of the Collective Security Treaty stays open
    open_spells = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?m WHERE { <https://w3id.org/alliance-kg/id/partnership/atop-4220> akg:hasMembership ?m .
          ?m akg:member <https://w3id.org/alliance-kg/id/state/ARM> FILTER NOT EXISTS { ?m akg:endDate ?e } }""")
    assert len(open_spells) == 1


def test_after_2018_facts_are_not_doubled(store):
    """The issue's other post-2018 facts live in data/paper; data/curated adds no second record."""
    text = (PROJECT_ROOT / "data" / "curated" / "after-2018.ttl").read_text()
    for key in ("part:russia-dprk", "part:aukus", "mem:nato-FIN", "mem:nato-SWE", "mem:sco-IRN", "mem:sco-BLR",
                "russia-iran-treaty-2025"):
        assert key.split(":")[-1] not in [line.split()[0].split(":")[-1] for line in text.splitlines()
                                          if line and not line[0].isspace() and not line.startswith(("#", "@"))]


def test_a_state_is_named_as_it_was_on_the_day_not_by_cows_one_name(graph):
    """COW names code 345 "Yugoslavia" from 1878; the Balkan League of 1912 (ATOP 1480) was Serbia's with
    Montenegro, and the Little Entente of 1920-21 (ATOP 2050) Yugoslavia's (issue 16 item 10)."""
    label = lambda iri: str(graph.value(iri, RDFS.label))
    assert label(P["atop-1480"]) == "ATOP 1480: Montenegro, Serbia (1912)"
    assert label(atop.MEMBERSHIP["atop-1480-SRB"]) == "Serbia in ATOP 1480"
    assert label(P["atop-2050"]) == "ATOP 2050: Czechoslovakia, Yugoslavia (1920)"
    before_1918 = [label(s) for s, o in graph.subject_objects(RDFS.label) if "Yugoslavia" in o
                   and re.search(r"\((18\d\d|190\d|191[0-7])\)$", str(o))]
    assert before_1918 == []


@pytest.mark.parametrize("day, name", [("1912-10-13", "Serbia"), ("1918-11-30", "Serbia"), ("1918-12-01", "Yugoslavia"),
                                       ("1991-06-25", "Yugoslavia"), ("2006-06-05", "Serbia"), (None, "Yugoslavia")])
def test_cow_345_is_serbia_before_1918_and_after_2006(day, name):
    assert states.cow_name(345, "Yugoslavia", day) == name
    assert states.cow_name(2, "United States of America", day) == "United States of America"


# ------------------------------------------------------------------ one alliance, one IRI

def test_each_merged_alliance_is_the_curated_record(store, built):
    """ATOP's record of an alliance the paper also describes is written on the curated IRI, which states
    its own type, akg:atopId and memberships: ATOP's file adds nothing the curated record already says
    (a triple in two graphs of the union default graph would count twice in a naive query)."""
    def ask(query: str) -> bool:
        return bool(store.query("PREFIX akg: <https://w3id.org/alliance-kg/ontology#> " + query))
    for atopid, merge in atop.MERGES.items():
        curated = f"<{P[merge.key]}>"
        assert ask(f"ASK {{ GRAPH <https://w3id.org/alliance-kg/graph/data/paper/partnerships> "
                   f"{{ {curated} a akg:SecurityPartnership ; akg:atopId {atopid} }} }}"), merge.key
        for state in merge.members.split():
            membership = f"<{atop.MEMBERSHIP[merge.key + '-' + state]}>"
            assert ask(f"ASK {{ {curated} akg:hasMembership {membership} . {membership} akg:member "
                       f"<{states.STATE[state]}> }}"), (merge.key, state)
        assert (P[f"atop-{atopid}"], OWL.sameAs, P[merge.key]) in built["alliances.ttl"]
    # the old IRIs say nothing but where they went
    for name, g in built.items():
        for old in g.subjects(OWL.sameAs, None):
            assert set(g.predicate_objects(old)) == {(OWL.sameAs, g.value(old, OWL.sameAs))}
    # no triple of data/atop repeats one of data/paper
    duplicated = rows(store, """SELECT (COUNT(*) AS ?n) WHERE {
        GRAPH <https://w3id.org/alliance-kg/graph/data/paper/partnerships> { ?s ?p ?o }
        VALUES ?atop { <https://w3id.org/alliance-kg/graph/data/atop/alliances>
                       <https://w3id.org/alliance-kg/graph/data/atop/memberships> }
        GRAPH ?atop { ?s ?p ?o } }""")
    assert duplicated == [{"n": "0"}]


def test_no_two_alliances_in_force_share_an_atop_id(store):
    found = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?id (COUNT(DISTINCT ?p) AS ?n) WHERE {
          ?p a akg:SecurityPartnership ; akg:atopId ?id ; akg:startDate ?start .
          FILTER (?start <= "2024-06-30"^^<http://www.w3.org/2001/XMLSchema#date>)
          FILTER NOT EXISTS { ?p akg:endDate ?end FILTER (?end <= "2024-06-30"^^<http://www.w3.org/2001/XMLSchema#date>) }
        } GROUP BY ?id HAVING (COUNT(DISTINCT ?p) > 1)""")
    assert found == []
    nato = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        SELECT ?p WHERE { ?p akg:atopId 3180 }""")
    assert nato == [{"p": str(P["nato"])}]   # once, not once per graph that states it
