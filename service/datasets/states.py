"""Generate ``data/states.ttl``: the states of today, from Natural Earth 5.1.1 and COW v2016.

Scope
-----
Every state of today: the 193 UN member states, the two UN non-member observer states (Holy See
``VAT``, State of Palestine ``PSE``), Taiwan (``TWN``) and Kosovo (``KOS``): 197 states.

Selection (Natural Earth Admin 0 - Countries, 1:50m, v5.1.1, one feature per admin-0 unit)
------------------------------------------------------------------------------------------
Rule: a feature is a state when

1. its ``TYPE`` is one of ``Sovereign country``, ``Country``, ``Sovereignty``, ``Disputed``,
   ``Indeterminate`` (i.e. not ``Dependency``; ``Sovereignty`` is what NE gives Cuba and
   Kazakhstan, whose leased areas are separate units at 10m), and
2. ``ADMIN == SOVEREIGNT``: the feature is the sovereign's own home unit, not one of its
   constituent countries or territories. This drops Greenland, the Faroes, Aruba, Curacao,
   Sint Maarten, Hong Kong, Macao, Aland, Jersey, Guernsey, the Isle of Man, Puerto Rico etc.,
   which NE files as ``Country``/``Dependency``/``Disputed`` units of another sovereign.

The fields cannot decide five features; they are the explicit exceptions below
(``NOT_STATES`` and ``EXTRA_STATES``, keyed by NE ``ADM0_A3``):

* excluded although the rule admits them: Antarctica (``ATA``, no state), Western Sahara
  (``SAH``, a non-self-governing territory; not a UN member or observer), Somaliland (``SOL``)
  and Northern Cyprus (``CYN``), which are neither UN members nor observers;
* included although the rule drops it: Palestine (``PSX``), a UN observer state that NE files
  under the sovereign "Israel" (``TYPE`` ``Indeterminate``).

The 50m file has every UN member, including the microstates (Tuvalu, Nauru, Monaco, San Marino,
Liechtenstein, Vatican etc.; the 110m file lacks 28 of them). The build checks that every
exception still matches a feature, that keys are unique, and that every COW system member of
2016 maps to a selected state.

Keys and codes
--------------
The IRI is ``https://w3id.org/alliance-kg/id/state/{KEY}``. ``KEY`` is ``ISO_A3``, or
``ISO_A3_EH`` where ``ISO_A3`` is ``-99``, or else ``ADM0_A3``. Only Kosovo needs the last
step: its key ``KOS`` is Natural Earth's code, not an ISO 3166-1 code (ISO has assigned none),
so Kosovo has no ``akg:iso3``; every other state has ``akg:iso3`` equal to its key.
(France and Norway have ``ISO_A3`` -99 only in the 110m file; the 50m file gives FRA and NOR.)

Labels
------
``rdfs:label`` is ``NAME_EN`` (``NAME`` if empty) @en, NE's common short English name used
consistently (hence "People's Republic of China", "Czech Republic", "Vatican City").
``skos:altLabel``: ``FORMAL_EN`` @en where NE gives one that differs from the label (Taiwan and
Solomon Islands have none), and the names in NE's 25 other languages (``NAME_AR`` ...
``NAME_ZHT``), tagged with the ISO 639-1 code; ``NAME_ZH`` (simplified script) is ``@zh`` and
``NAME_ZHT`` (traditional) ``@zh-Hant``. NE's ``NAME``/``NAME_LONG`` are not used: they are
map-label forms, often abbreviated ("Bosnia and Herz.", "Dem. Rep. Korea").

Wikidata
--------
``owl:sameAs <http://www.wikidata.org/entity/{WIKIDATAID}>`` from NE. One correction
(``WIKIDATA_CORRECTIONS``): NE gives Palestine Q23792, the item of the geographic region
"Palestine"; the state is Q219060 (State of Palestine). NE's Vatican item Q237 (Vatican City)
is kept: it is the item other datasets use for ISO VAT (the Holy See itself is Q159583).

Correlates of War
-----------------
``akg:cowCode`` (xsd:integer) and ``akg:cowAbbreviation`` for the states in the COW system at
its end (``states2016.csv`` spells with ``endyear`` 2016: 195 states), mapped to keys with
``countrycode`` (``cown`` -> ``iso3c``) plus ``COW_EXCEPTIONS``: 345 "Yugoslavia" is Serbia
(SRB) in 2016, 347 is Kosovo (KOS); countrycode maps neither. Taiwan is COW 713 (TAW). The
states of today outside the COW system list are the Holy See (VAT) and Palestine (PSE).

Provenance
----------
Every state ``prov:wasDerivedFrom`` the Natural Earth source, and the COW source when it has a
COW code. Both sources are in the file (``akg:Source``, title, citation, issued, version, URL,
SHA-256 of the raw file read).

Output
------
Deterministic Turtle written by :func:`serialize` (not rdflib's serializer): subjects sorted by
IRI, predicates in a fixed order, objects sorted; the same bytes on every run. No dates.

Run ``python -m service.datasets.states [RAW_DIR] [--out FILE]`` from the project root; the
defaults are ``../shared/data/raw`` and ``data/states.ttl`` relative to the project root.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import countrycode
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from service.datasets.turtle import TurtleWriter

AKG = Namespace("https://w3id.org/alliance-kg/ontology#")
STATE = Namespace("https://w3id.org/alliance-kg/id/state/")
SYSTEM_MEMBERSHIP = Namespace("https://w3id.org/alliance-kg/id/system-membership/")
SOURCE = Namespace("https://w3id.org/alliance-kg/id/source/")
WD = Namespace("http://www.wikidata.org/entity/")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RAW_DIR = PROJECT_ROOT.parent / "shared" / "data" / "raw"
DEFAULT_OUT = PROJECT_ROOT / "data" / "states.ttl"

NE_FILE = "natural_earth/ne_50m_admin_0_countries.geojson"
COW_FILE = "cow_states_v2016/states2016.csv"

NE_SOURCE = SOURCE["natural-earth-5.1.1"]
COW_SOURCE = SOURCE["cow-states-2016"]

# NE TYPE values of units that can be a sovereign's home unit (everything but "Dependency").
STATE_TYPES = frozenset({"Sovereign country", "Country", "Sovereignty", "Disputed", "Indeterminate"})

# Exceptions to the rule, by NE ADM0_A3, where NE's fields cannot decide.
NOT_STATES = {
    "ATA": "Antarctica: not a state",
    "SAH": "Western Sahara: non-self-governing territory, not a UN member or observer",
    "SOL": "Somaliland: not a UN member or observer",
    "CYN": "Northern Cyprus: not a UN member or observer",
}
EXTRA_STATES = {
    "PSX": "Palestine: UN non-member observer state; NE files it under the sovereign Israel",
}

# key -> (Wikidata id NE gives, Wikidata id used, why)
WIKIDATA_CORRECTIONS = {
    "PSE": ("Q23792", "Q219060", "NE's Q23792 is the region Palestine; Q219060 is the State of Palestine"),
}

# COW codes of 2016 system members that countrycode (cown -> iso3c) does not map.
COW_EXCEPTIONS = {
    345: "SRB",  # "Yugoslavia": Serbia, the continuing state, in 2016
    347: "KOS",  # Kosovo (NE key, no ISO code)
}
COW_LAST_YEAR = "2016"

# COW keeps one name for a code across its spells; where the state's name changed, a label dated before
# (or after) the change says the name of that day. code -> ((first day of the next name, name), ...,
# (None, the name from the last change on)); ISO dates compare as strings.
COW_NAMES_BY_DATE = {
    # 345, "Yugoslavia" in COW from 1878, was the Kingdom of Serbia until Crown Prince Alexander proclaimed
    # the Kingdom of Serbs, Croats and Slovenes on 1 December 1918 (Archives of Yugoslavia, "December 1
    # Act - Promulgation of the Kingdom of Serbs, Croats and Slovenes", http://www.arhivyu.rs/active/en/home/
    # glavna_navigacija/leksikon_jugoslavije/konstitutivni_akti_jugoslavije/prvodecembarski_akt.html), and
    # is Serbia again from 5 June 2006, when the National Assembly made the Republic of Serbia the successor
    # of the State Union of Serbia and Montenegro (National Assembly of the Republic of Serbia, "Chairman
    # Markovic writes to Council of Europe and OSCE Parliamentary Assemblies", 8 June 2006,
    # http://www.parlament.gov.rs/Chairman_Markovic_writes_to_Council_of_Europe_and_OSCE_Parliamentary_Assemblies.11849.537.html).
    345: (("1918-12-01", "Serbia"), ("2006-06-05", "Yugoslavia"), (None, "Serbia")),
}


def cow_name(code: int, name: str, on: str | None) -> str:
    """The state's name on a day (ISO date): COW's `name`, unless COW_NAMES_BY_DATE says otherwise."""
    if on is None:
        return name
    for until, dated_name in COW_NAMES_BY_DATE.get(code, ()):
        if until is None or on < until:
            return dated_name
    return name

# NE name field suffix -> language tag (the 26 languages; EN is the label).
NAME_LANGUAGES = {
    "AR": "ar", "BN": "bn", "DE": "de", "EL": "el", "EN": "en", "ES": "es", "FA": "fa",
    "FR": "fr", "HE": "he", "HI": "hi", "HU": "hu", "ID": "id", "IT": "it", "JA": "ja",
    "KO": "ko", "NL": "nl", "PL": "pl", "PT": "pt", "RU": "ru", "SV": "sv", "TR": "tr",
    "UK": "uk", "UR": "ur", "VI": "vi", "ZH": "zh", "ZHT": "zh-Hant",
}

SOURCES = {
    NE_SOURCE: {
        "file": NE_FILE,
        "title": "Natural Earth Admin 0 - Countries (1:50m), version 5.1.1",
        "citation": (
            "Natural Earth. 2022. \"Admin 0 - Countries\", 1:50m, version 5.1.1. Public domain. "
            "https://www.naturalearthdata.com/ (file ne_50m_admin_0_countries.geojson)."
        ),
        "issued": "2022",
        "version": "5.1.1",
        "url": "https://www.naturalearthdata.com/",
    },
    COW_SOURCE: {
        "file": COW_FILE,
        "title": "Correlates of War State System Membership List, v2016",
        "citation": (
            "Correlates of War Project. 2017. \"State System Membership List, v2016.\" "
            "Online, http://correlatesofwar.org."
        ),
        "issued": "2017",
        "version": "2016",
        "url": "https://correlatesofwar.org/data-sets/state-system-membership/",
    },
}


class RawDataError(RuntimeError):
    """The raw data are missing or do not fit the documented selection."""


class RawFileMissing(RawDataError, FileNotFoundError):
    """A raw file the build needs is not there."""


@dataclass(frozen=True)
class CowState:
    code: int
    abbreviation: str
    name: str


def _raw_file(raw_dir: Path, relative: str) -> Path:
    path = Path(raw_dir) / relative
    if not path.is_file():
        raise RawFileMissing(
            f"raw file not found: {path} (expected {relative} under the raw data directory {raw_dir})"
        )
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _code(value) -> str | None:
    """An NE code field, or None for NE's missing value -99."""
    if value is None:
        return None
    value = str(value).strip()
    return None if value in ("", "-99") else value


def _text(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def select_states(features: list[dict]) -> dict[str, dict]:
    """Today's states among NE admin-0 features: {key: properties}. See the module docstring."""
    by_adm0 = {p["ADM0_A3"]: p for p in features}
    for adm0 in list(NOT_STATES) + list(EXTRA_STATES):
        if adm0 not in by_adm0:
            raise RawDataError(f"Natural Earth has no feature ADM0_A3={adm0}; the exception list is stale")
    states: dict[str, dict] = {}
    for p in features:
        home_unit = p["TYPE"] in STATE_TYPES and p["ADMIN"] == p["SOVEREIGNT"]
        if p["ADM0_A3"] in NOT_STATES:
            if not home_unit:
                raise RawDataError(f"exception {p['ADM0_A3']} is not needed: the rule already drops it")
            continue
        if p["ADM0_A3"] in EXTRA_STATES:
            if home_unit:
                raise RawDataError(f"exception {p['ADM0_A3']} is not needed: the rule already keeps it")
        elif not home_unit:
            continue
        key = state_key(p)
        if key in states:
            raise RawDataError(f"two Natural Earth features give the state key {key}")
        states[key] = p
    return states


def iso3(p: dict) -> str | None:
    return _code(p.get("ISO_A3")) or _code(p.get("ISO_A3_EH"))


def state_key(p: dict) -> str:
    key = iso3(p) or _code(p.get("ADM0_A3"))
    if not key or not re.fullmatch(r"[A-Z]{3}", key):
        raise RawDataError(f"no usable key for Natural Earth feature {p.get('ADMIN')!r}: {key!r}")
    return key


def read_natural_earth(raw_dir: Path) -> list[dict]:
    path = _raw_file(raw_dir, NE_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    return [f["properties"] for f in data["features"]]


def read_cow_current(raw_dir: Path) -> dict[str, CowState]:
    """COW v2016 system members at the system's end (endyear 2016), keyed by state key."""
    path = _raw_file(raw_dir, COW_FILE)
    with path.open(newline="", encoding="ascii") as fh:
        rows = [r for r in csv.DictReader(fh) if r["endyear"] == COW_LAST_YEAR]
    codes = [int(row["ccode"]) for row in rows]
    # One call for all codes: countrycode reloads its code table on every call.
    mapped = countrycode.countrycode(codes, origin="cown", destination="iso3c") if codes else []
    current: dict[str, CowState] = {}
    for row, code, iso in zip(rows, codes, mapped):
        key = COW_EXCEPTIONS.get(code) or iso
        if not key:
            raise RawDataError(f"COW code {code} ({row['statenme']}) maps to no ISO3 code and is no documented exception")
        if key in current:
            raise RawDataError(f"COW codes {current[key].code} and {code} both map to {key}")
        current[key] = CowState(code, row["stateabb"], row["statenme"])
    return current


def read_cow_spells(raw_dir: Path) -> list[dict]:
    """Every row (system-membership spell) of states2016.csv, with its data row number from 1."""
    path = _raw_file(raw_dir, COW_FILE)
    with path.open(newline="", encoding="ascii") as fh:
        rows = list(csv.DictReader(fh))
    for number, row in enumerate(rows, start=1):
        row["_row"] = number
    return rows


def cow_state_keys(raw_dir: Path) -> dict[int, str]:
    """Every COW state code 1816-2016 to its state key: the key of today's state for the codes
    in the system at its end, ``cow-{abbreviation lowercase}`` for the others (historical states)."""
    current = {state.code: key for key, state in read_cow_current(raw_dir).items()}
    keys: dict[int, str] = {}
    for row in read_cow_spells(raw_dir):
        code = int(row["ccode"])
        key = current.get(code) or f"cow-{row['stateabb'].lower()}"
        if keys.setdefault(code, key) != key:
            raise RawDataError(f"COW code {code} has two abbreviations in {COW_FILE}")
    if len(set(keys.values())) != len(keys):
        raise RawDataError(f"two COW codes give the same state key in {COW_FILE}")
    return keys


def _cow_date(year: str, month: str, day: str) -> Literal:
    return Literal(f"{int(year):04d}-{int(month):02d}-{int(day):02d}", datatype=XSD.date)


def add_cow_system(g: Graph, raw_dir: Path, current_keys: set[str]) -> None:
    """Historical states (COW codes not in the system in 2016) and every state's spells of
    system membership. A spell that runs to 2016-12-31, the end of the data, gets no end date."""
    keys = cow_state_keys(raw_dir)
    spells_by_code: dict[int, list[dict]] = {}
    for row in read_cow_spells(raw_dir):
        spells_by_code.setdefault(int(row["ccode"]), []).append(row)
    for code, spells in spells_by_code.items():
        key = keys[code]
        s = STATE[key]
        if key not in current_keys:
            latest = max(spells, key=lambda r: int(r["styear"]))
            g.add((s, RDF.type, AKG.State))
            g.add((s, RDFS.label, Literal(latest["statenme"], lang="en")))
            g.add((s, AKG.cowCode, Literal(code, datatype=XSD.integer)))
            g.add((s, AKG.cowAbbreviation, Literal(latest["stateabb"])))
            g.add((s, PROV.wasDerivedFrom, COW_SOURCE))
        spells.sort(key=lambda r: (int(r["styear"]), int(r["stmonth"]), int(r["stday"])))
        for n, row in enumerate(spells, start=1):
            spell = SYSTEM_MEMBERSHIP[f"{key}-{n}"]
            g.add((s, AKG.hasSystemMembership, spell))
            g.add((spell, RDF.type, AKG.SystemMembership))
            start = _cow_date(row["styear"], row["stmonth"], row["stday"])
            g.add((spell, RDFS.label, Literal(f"{cow_name(code, row['statenme'], str(start))} in the state system, spell {n}",
                                              lang="en")))
            g.add((spell, AKG.startDate, _cow_date(row["styear"], row["stmonth"], row["stday"])))
            if (row["endyear"], row["endmonth"], row["endday"]) != (COW_LAST_YEAR, "12", "31"):
                g.add((spell, AKG.endDate, _cow_date(row["endyear"], row["endmonth"], row["endday"])))
            g.add((spell, PROV.wasDerivedFrom, COW_SOURCE))
            g.add((spell, AKG.sourceRecord, Literal(f"states2016.csv row {row['_row']}")))


def build_states(raw_dir: Path) -> Graph:
    """The graph of today's and historical states, their system-membership spells and the two
    sources, from the raw files under ``raw_dir``."""
    raw_dir = Path(raw_dir)
    states = select_states(read_natural_earth(raw_dir))
    cow = read_cow_current(raw_dir)
    unmatched = sorted(set(cow) - set(states))
    if unmatched:
        raise RawDataError(f"COW 2016 system members not among the selected states: {unmatched}")

    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)

    for src, info in SOURCES.items():
        g.add((src, RDF.type, AKG.Source))
        g.add((src, DCTERMS.title, Literal(info["title"])))
        g.add((src, DCTERMS.bibliographicCitation, Literal(info["citation"])))
        g.add((src, DCTERMS.issued, Literal(info["issued"], datatype=XSD.gYear)))
        g.add((src, DCTERMS.hasVersion, Literal(info["version"])))
        g.add((src, AKG.url, Literal(info["url"], datatype=XSD.anyURI)))
        g.add((src, AKG.sha256, Literal(sha256(_raw_file(raw_dir, info["file"])))))

    for key, p in states.items():
        s = STATE[key]
        g.add((s, RDF.type, AKG.State))
        label = _text(p.get("NAME_EN")) or _text(p.get("NAME"))
        if not label:
            raise RawDataError(f"no English name for {key}")
        g.add((s, RDFS.label, Literal(label, lang="en")))
        formal = _text(p.get("FORMAL_EN"))
        if formal and formal != label:
            g.add((s, SKOS.altLabel, Literal(formal, lang="en")))
        for suffix, lang in NAME_LANGUAGES.items():
            name = _text(p.get(f"NAME_{suffix}"))
            if name and lang != "en":
                g.add((s, SKOS.altLabel, Literal(name, lang=lang)))
        code = iso3(p)
        if code:
            g.add((s, AKG.iso3, Literal(code)))
        qid = _text(p.get("WIKIDATAID"))
        if key in WIKIDATA_CORRECTIONS:
            given, corrected, _why = WIKIDATA_CORRECTIONS[key]
            if qid != given:
                raise RawDataError(f"{key}: NE now gives Wikidata {qid}, not {given}; review WIKIDATA_CORRECTIONS")
            qid = corrected
        if qid:
            if not re.fullmatch(r"Q[1-9]\d*", qid):
                raise RawDataError(f"{key}: malformed WIKIDATAID {qid!r}")
            g.add((s, OWL.sameAs, WD[qid]))
        g.add((s, PROV.wasDerivedFrom, NE_SOURCE))
        if key in cow:
            g.add((s, AKG.cowCode, Literal(cow[key].code, datatype=XSD.integer)))
            g.add((s, AKG.cowAbbreviation, Literal(cow[key].abbreviation)))
            g.add((s, PROV.wasDerivedFrom, COW_SOURCE))
    add_cow_system(g, raw_dir, set(states))
    return g


# ---------------------------------------------------------------- deterministic Turtle

PREFIXES = {
    "akg": AKG,
    "dcterms": DCTERMS,
    "owl": OWL,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "source": SOURCE,
    "state": STATE,
    "sysm": SYSTEM_MEMBERSHIP,
    "wd": WD,
    "xsd": XSD,
}

# Predicates in this order first, any others after them sorted by IRI.
PREDICATE_ORDER = [
    RDF.type, RDFS.label, SKOS.altLabel, AKG.iso3, AKG.cowCode, AKG.cowAbbreviation, OWL.sameAs,
    DCTERMS.title, DCTERMS.bibliographicCitation, DCTERMS.issued, DCTERMS.hasVersion, AKG.url,
    AKG.sha256, AKG.hasSystemMembership, AKG.startDate, AKG.endDate, PROV.wasDerivedFrom, AKG.sourceRecord,
]

WRITER = TurtleWriter(PREFIXES, PREDICATE_ORDER)
HEADER = [
    "Generated by service/datasets/states.py (python -m service.datasets.states): do not edit.",
    "Today's states from Natural Earth 5.1.1 (1:50m) and Correlates of War State System v2016;",
    "historical states and every state's system-membership spells from COW v2016.",
]


def serialize(g: Graph) -> bytes:
    """Sorted, byte-stable Turtle for a graph of IRIs and literals."""
    return WRITER.serialize(g, HEADER)


def write_states(raw_dir: Path, out_path: Path) -> Graph:
    """Build from ``raw_dir`` and write the Turtle to ``out_path``; returns the graph."""
    g = build_states(raw_dir)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(serialize(g))
    return g


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m service.datasets.states",
        description="Rebuild data/states.ttl (today's states) from the raw Natural Earth and COW files.",
    )
    parser.add_argument("raw_dir", nargs="?", type=Path, default=DEFAULT_RAW_DIR,
                        help=f"raw data directory (default: {DEFAULT_RAW_DIR})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output file (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        g = write_states(args.raw_dir, args.out)
    except RawDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    n_states = len(set(g.subjects(RDF.type, AKG.State)))
    print(f"wrote {args.out}: {n_states} states, {len(g)} triples in {time.perf_counter() - started:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
