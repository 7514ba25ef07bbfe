"""Tests of the states data (service/datasets/states.py and the committed data/states.ttl)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib import namespace as ns  # module access: pytest's collector trips over DefinedNamespace attributes

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:  # until the project is installed / configured as a package
    sys.path.insert(0, str(PROJECT_ROOT))

from service.datasets import states  # noqa: E402

AKG = states.AKG
STATE = "https://w3id.org/alliance-kg/id/state/"
NE_SOURCE = URIRef("https://w3id.org/alliance-kg/id/source/natural-earth-5.1.1")
COW_SOURCE = URIRef("https://w3id.org/alliance-kg/id/source/cow-states-2016")
COMMITTED = PROJECT_ROOT / "data" / "states.ttl"

# Independent oracle, written by hand (not from the build): the 193 UN member states by ISO
# 3166-1 alpha-3, in the UN's alphabetical order of names.
UN_MEMBERS = frozenset("""
AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE
BHS BHR BGD BRB BLR BEL BLZ BEN BTN BOL BIH BWA BRA BRN BGR BFA BDI
CPV KHM CMR CAN CAF TCD CHL CHN COL COM COG CRI CIV HRV CUB CYP CZE
PRK COD DNK DJI DMA DOM
ECU EGY SLV GNQ ERI EST SWZ ETH
FJI FIN FRA
GAB GMB GEO DEU GHA GRC GRD GTM GIN GNB GUY
HTI HND HUN
ISL IND IDN IRN IRQ IRL ISR ITA
JAM JPN JOR
KAZ KEN KIR KWT KGZ
LAO LVA LBN LSO LBR LBY LIE LTU LUX
MDG MWI MYS MDV MLI MLT MHL MRT MUS MEX FSM MCO MNG MNE MAR MOZ MMR
NAM NRU NPL NLD NZL NIC NER NGA MKD NOR
OMN
PAK PLW PAN PNG PRY PER PHL POL PRT
QAT
KOR MDA ROU RUS RWA
KNA LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SVK SVN SLB SOM ZAF SSD ESP LKA SDN SUR SWE CHE SYR
TJK THA TLS TGO TON TTO TUN TUR TKM TUV
UGA UKR ARE GBR TZA USA URY UZB
VUT VEN VNM
YEM
ZMB ZWE
""".split())
UN_OBSERVER_STATES = frozenset({"VAT", "PSE"})
OTHER_STATES = frozenset({"TWN", "KOS"})
TODAY = UN_MEMBERS | UN_OBSERVER_STATES | OTHER_STATES

# States of today outside the COW v2016 system (no akg:cowCode).
WITHOUT_COW = frozenset({"VAT", "PSE"})
# States of today whose key is no ISO 3166-1 code (no akg:iso3).
WITHOUT_ISO3 = frozenset({"KOS"})
# Every state of today has a Wikidata id from a source; none goes without owl:sameAs.
WITHOUT_WIKIDATA: frozenset[str] = frozenset()


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The shared raw data, ../shared/data/raw relative to the project root."""
    path = PROJECT_ROOT.parent / "shared" / "data" / "raw"
    assert path.is_dir(), f"raw data directory not found: {path}"
    return path


@pytest.fixture(scope="session")
def graph(raw_dir) -> Graph:
    return states.build_states(raw_dir)


@pytest.fixture(scope="session")
def all_state_iris(graph) -> dict[str, URIRef]:
    iris = {}
    for s in graph.subjects(ns.RDF.type, AKG.State):
        assert str(s).startswith(STATE), s
        iris[str(s)[len(STATE):]] = s
    return iris


@pytest.fixture(scope="session")
def state_iris(all_state_iris) -> dict[str, URIRef]:
    """Today's states (historical ones have keys cow-...)."""
    return {k: s for k, s in all_state_iris.items() if not k.startswith("cow-")}


@pytest.fixture(scope="session")
def historical_iris(all_state_iris) -> dict[str, URIRef]:
    return {k: s for k, s in all_state_iris.items() if k.startswith("cow-")}


def test_oracle_is_well_formed():
    assert len(UN_MEMBERS) == 193
    assert all(re.fullmatch(r"[A-Z]{3}", k) for k in UN_MEMBERS)
    assert len(TODAY) == 197


def test_the_197_states_of_today(state_iris):
    keys = set(state_iris)
    assert len(keys) == 197
    assert keys - TODAY == set(), "states that are not states of today"
    assert TODAY - keys == set(), "states of today missing"


def test_exceptions_are_not_states(state_iris):
    # Natural Earth units the fields alone would admit or that belong to another sovereign.
    for key in ("ATA", "ESH", "SOL", "CYN", "GRL", "PRI", "HKG", "MAC", "FRO", "ABW", "JEY", "ALA"):
        assert key not in state_iris
    assert "PSE" in state_iris and "KOS" in state_iris and "TWN" in state_iris


def test_only_states_spells_and_sources_are_described(graph, all_state_iris):
    sources = set(graph.subjects(ns.RDF.type, AKG.Source))
    assert sources == {NE_SOURCE, COW_SOURCE}
    spells = set(graph.subjects(ns.RDF.type, AKG.SystemMembership))
    assert set(graph.subjects()) == set(all_state_iris.values()) | sources | spells


def _cow_rows(raw_dir) -> list[dict]:
    import csv
    with (raw_dir / states.COW_FILE).open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_cow_state_1816_2016(graph, raw_dir, all_state_iris, historical_iris):
    rows = _cow_rows(raw_dir)
    codes = {int(r["ccode"]) for r in rows}
    assert len(rows) == 243 and len(codes) == 217  # SOURCES.md: 243 spells; 195 members in 2016
    by_code = {int(graph.value(s, AKG.cowCode)): k for k, s in all_state_iris.items()
               if graph.value(s, AKG.cowCode) is not None}
    assert set(by_code) == codes
    # historical: the 22 codes not in the system at its end, keyed by their abbreviation
    assert len(historical_iris) == 217 - 195
    abb = {int(r["ccode"]): r["stateabb"] for r in rows}
    for key, s in historical_iris.items():
        code = int(graph.value(s, AKG.cowCode))
        assert key == f"cow-{abb[code].lower()}"
        assert str(graph.value(s, AKG.cowAbbreviation)) == abb[code]
        assert graph.value(s, ns.RDFS.label).language == "en"
        assert graph.value(s, AKG.iso3) is None and graph.value(s, ns.OWL.sameAs) is None, "no source gives them"
        assert set(graph.objects(s, ns.PROV.wasDerivedFrom)) == {COW_SOURCE}
    assert str(graph.value(historical_iris["cow-bav"], ns.RDFS.label)) == "Bavaria"
    assert by_code[255] == "DEU" and by_code[260] == "cow-gfr" and by_code[265] == "cow-gdr"


def test_system_membership_spells(graph, raw_dir, all_state_iris):
    rows = _cow_rows(raw_dir)
    spells = set(graph.subjects(ns.RDF.type, AKG.SystemMembership))
    assert len(spells) == len(rows) == 243
    linked = {o for s in all_state_iris.values() for o in graph.objects(s, AKG.hasSystemMembership)}
    assert linked == spells
    deu = sorted(graph.objects(all_state_iris["DEU"], AKG.hasSystemMembership), key=str)
    assert [(str(graph.value(x, AKG.startDate)), graph.value(x, AKG.endDate)) for x in deu] == [
        ("1816-01-01", Literal("1945-05-08", datatype=ns.XSD.date)), ("1990-10-03", None)]
    # a spell that lasts to the end of the data (2016-12-31) has no end date
    open_spells = [x for x in spells if graph.value(x, AKG.endDate) is None]
    assert len(open_spells) == sum(1 for r in rows if r["endyear"] == "2016") == 195
    for x in spells:
        assert re.fullmatch(r"states2016\.csv row \d+", str(graph.value(x, AKG.sourceRecord)))


def test_each_state_has_one_english_label(graph, state_iris):
    for key, s in state_iris.items():
        labels = list(graph.objects(s, ns.RDFS.label))
        assert len(labels) == 1, key
        assert labels[0].language == "en" and str(labels[0]).strip(), key


def test_labels_follow_natural_earth_name_en(graph, state_iris):
    label = {k: str(graph.value(s, ns.RDFS.label)) for k, s in state_iris.items()}
    assert label["RUS"] == "Russia"
    assert label["PRK"] == "North Korea"
    assert label["KOR"] == "South Korea"
    assert label["USA"] == "United States of America"
    assert label["KOS"] == "Kosovo"
    assert len(set(label.values())) == 197


def test_alt_labels(graph, state_iris):
    rus = {(lit.language, str(lit)) for lit in graph.objects(state_iris["RUS"], ns.SKOS.altLabel)}
    assert ("en", "Russian Federation") in rus
    assert ("fr", "Russie") in rus
    assert ("ru", "Россия") in rus
    assert ("de", "Russland") in rus
    languages = set(states.NAME_LANGUAGES.values()) - {"en"}
    assert len(languages) == 25
    for key, s in state_iris.items():
        tags = {lit.language for lit in graph.objects(s, ns.SKOS.altLabel)}
        assert languages <= tags, (key, languages - tags)
        assert tags <= languages | {"en"}, key


def test_iso3(graph, state_iris):
    for key, s in state_iris.items():
        codes = list(graph.objects(s, AKG.iso3))
        if key in WITHOUT_ISO3:
            assert codes == [], key
            continue
        assert len(codes) == 1, key
        code = codes[0]
        assert re.fullmatch(r"[A-Z]{3}", str(code)), key
        assert str(code) == key
        assert code.datatype in (None, ns.XSD.string) and code.language is None


def test_same_as_wikidata(graph, state_iris):
    seen = {}
    for key, s in state_iris.items():
        targets = list(graph.objects(s, ns.OWL.sameAs))
        if key in WITHOUT_WIKIDATA:
            assert targets == [], key
            continue
        assert len(targets) == 1, key
        assert re.fullmatch(r"http://www\.wikidata\.org/entity/Q\d+", str(targets[0])), key
        assert targets[0] not in seen, (key, seen.get(targets[0]))
        seen[targets[0]] = key
    assert len(seen) == 197 - len(WITHOUT_WIKIDATA)


def _one(graph, s, p):
    values = list(graph.objects(s, p))
    assert len(values) <= 1, (s, p, values)
    return values[0] if values else None


def _wd(q):
    return URIRef(f"http://www.wikidata.org/entity/{q}")


@pytest.mark.parametrize(
    "key, cow, qid",
    [
        ("RUS", 365, "Q159"),
        ("USA", 2, "Q30"),
        ("PRK", 731, "Q423"),
        ("TWN", 713, "Q865"),
        ("KOS", 347, "Q1246"),
        ("SRB", 345, "Q403"),
        ("SSD", 626, "Q958"),
        ("FRA", 220, "Q142"),
        ("NOR", 385, "Q20"),
        ("CHN", 710, "Q148"),
    ],
)
def test_spot_checks(graph, state_iris, key, cow, qid):
    s = state_iris[key]
    code = _one(graph, s, AKG.cowCode)
    assert code == Literal(cow, datatype=ns.XSD.integer)
    assert _one(graph, s, ns.OWL.sameAs) == _wd(qid)


def test_palestine_wikidata_is_the_state_not_the_region(graph, state_iris):
    # Natural Earth gives Q23792 (the region); the build's one documented correction.
    assert _one(graph, state_iris["PSE"], ns.OWL.sameAs) == _wd("Q219060")
    assert _one(graph, state_iris["VAT"], ns.OWL.sameAs) == _wd("Q237")


def test_cow_codes(graph, state_iris):
    without = {k for k, s in state_iris.items() if _one(graph, s, AKG.cowCode) is None}
    assert without == WITHOUT_COW
    codes = [_one(graph, s, AKG.cowCode) for s in state_iris.values()]
    codes = [c for c in codes if c is not None]
    assert len(codes) == len(set(codes)) == 195
    assert all(c.datatype == ns.XSD.integer for c in codes)
    abbs = {k: str(_one(graph, s, AKG.cowAbbreviation)) for k, s in state_iris.items() if k not in WITHOUT_COW}
    assert abbs["USA"] == "USA" and abbs["SRB"] == "YUG" and abbs["TWN"] == "TAW" and abbs["DEU"] == "GMY"
    for key in WITHOUT_COW:
        assert _one(graph, state_iris[key], AKG.cowAbbreviation) is None


def test_provenance(graph, state_iris):
    for key, s in state_iris.items():
        derived = set(graph.objects(s, ns.PROV.wasDerivedFrom))
        expected = {NE_SOURCE} if key in WITHOUT_COW else {NE_SOURCE, COW_SOURCE}
        assert derived == expected, key


def test_sources(graph, raw_dir):
    sums = dict(
        reversed(line.split()) for line in (raw_dir / "SOURCES.md").read_text().splitlines()
        if re.fullmatch(r"\s*[0-9a-f]{64}\s+\S+\s*", line)
    )
    expected = {
        NE_SOURCE: ("5.1.1", "https://www.naturalearthdata.com/", "natural_earth/ne_50m_admin_0_countries.geojson"),
        COW_SOURCE: ("2016", "https://correlatesofwar.org/data-sets/state-system-membership/",
                     "cow_states_v2016/states2016.csv"),
    }
    for src, (version, url, file) in expected.items():
        assert (src, ns.RDF.type, AKG.Source) in graph
        assert str(_one(graph, src, ns.DCTERMS.title)).strip()
        assert str(_one(graph, src, ns.DCTERMS.bibliographicCitation)).strip()
        assert _one(graph, src, ns.DCTERMS.issued).datatype == ns.XSD.gYear
        assert str(_one(graph, src, ns.DCTERMS.hasVersion)) == version
        assert _one(graph, src, AKG.url) == Literal(url, datatype=ns.XSD.anyURI)
        # The SHA-256 of the file read, which is the one SOURCES.md documents.
        assert str(_one(graph, src, AKG.sha256)) == states.sha256(raw_dir / file) == sums[file]
    assert "Correlates of War Project. 2017." in str(_one(graph, COW_SOURCE, ns.DCTERMS.bibliographicCitation))


def test_serialization_is_deterministic(raw_dir, graph):
    first = states.serialize(graph)
    second = states.serialize(states.build_states(raw_dir))
    assert first == second


def test_deterministic_across_processes(raw_dir, tmp_path):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"states-{seed}.ttl"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run(
            [sys.executable, "-m", "service.datasets.states", str(raw_dir), "--out", str(out)],
            cwd=PROJECT_ROOT, env=env, check=True, capture_output=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_committed_file_is_current(graph):
    assert COMMITTED.is_file(), f"{COMMITTED} missing: run python -m service.datasets.states"
    assert COMMITTED.read_bytes() == states.serialize(graph), (
        f"{COMMITTED} is stale: run python -m service.datasets.states"
    )


def test_committed_file_parses(graph):
    parsed = Graph().parse(COMMITTED, format="turtle")
    assert len(parsed) == len(graph)
    assert isomorphic(parsed, graph)


def test_main_writes_to_given_path(raw_dir, tmp_path):
    out = tmp_path / "sub" / "states.ttl"
    assert states.main([str(raw_dir), "--out", str(out)]) == 0
    assert out.read_bytes() == COMMITTED.read_bytes()


def test_missing_raw_file_names_it(raw_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"ne_50m_admin_0_countries\.geojson"):
        states.build_states(tmp_path)
    # With Natural Earth present, the next missing file is named.
    (tmp_path / "natural_earth").mkdir()
    shutil.copy(raw_dir / states.NE_FILE, tmp_path / states.NE_FILE)
    with pytest.raises(FileNotFoundError, match=r"states2016\.csv"):
        states.build_states(tmp_path)
    assert states.main([str(tmp_path), "--out", str(tmp_path / "x.ttl")]) == 1
    assert not (tmp_path / "x.ttl").exists()
