"""Generate ``data/atop/``: the ATOP 5.1 alliances as graph data under the alliance-kg ontology.

Input (``../shared/data/raw/atop_v5.1/``): ``atop5_1a.csv`` (one row per alliance, 789),
``atop5_1aph.csv`` (one row per alliance phase, 849) and ``atop5_1m.csv`` (one row per member and
phase, 2,510); states from ``cow_states_v2016/states2016.csv`` through :mod:`states`.

Output (the mapping and its reasons are in ``docs/atop-mapping.md``):

* ``data/atop/sources.ttl``: the data set ``id/source/atop-5.1`` and one source per file read, each
  with its SHA-256; the codebook as a source of the ontology module ``ontology/atop.ttl``.
* ``data/atop/alliances.ttl``: per ``atopid`` a partnership ``id/partnership/atop-{atopid}`` with
  ``akg:atopId``; per phase an agreement (``id/agreement/atop-{atopid}[-phase-{n}]``) with the
  institutional provisions; per phase and obligation an obligation resource: defence and offence
  obligations are scope conditions (``id/scope-condition/...``), neutrality, non-aggression and
  consultation obligations are not (``id/obligation/...``).
* ``data/atop/memberships.ttl``: one membership per member row
  (``id/membership/atop-{atopid}-{state key}[-phase-{n}][-2]``) with entry and exit dates, exit
  mode and cause.

An ATOP alliance that is also a partnership of ``data/paper/partnerships.ttl`` (``MERGES``) is written on
the curated IRI, not on ``atop-{atopid}`` (which becomes ``owl:sameAs`` it): one alliance, one IRI. ATOP's
values the curated record states otherwise are ``akg:SourceClaim`` resources (``id/claim/...``); its member
rows of the states the curated record holds are the curated memberships (docs/atop-mapping.md).

What is in force at ATOP's end (no end year) carries ``akg:lastConfirmed 2018-12-31``: ATOP confirms it
up to its last day and no further; the data set carries ``akg:coverageUntil 2018-12-31``.

Every resource ``prov:wasDerivedFrom`` the source of the file it came from (part of
``id/source/atop-5.1``) and names its row with ``akg:sourceRecord`` ("atop5_1m.csv row 124": data
rows counted from 1, the header not counted). The importer never asserts ``akg:Alliance``.

Run ``alliance-kg build-data`` or ``python -m service.datasets.atop [RAW_DIR] [--out DIR]``.
"""
from __future__ import annotations

import argparse
import calendar
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from service.datasets import states
from service.datasets.atop_codebook import (BOOLEANS, CONDITIONS, OBLIGATIONS, PACT_CLASSES, PROVISIONS, TERM,
                                             TERMCAUS, TERMMODE)
from service.datasets.atop_merges import MERGES, PREFERRED, Merge
from service.datasets.turtle import TurtleWriter

AKG = states.AKG
ID = "https://w3id.org/alliance-kg/id/"
PARTNERSHIP = Namespace(ID + "partnership/")
AGREEMENT = Namespace(ID + "agreement/")
MEMBERSHIP = Namespace(ID + "membership/")
SCOPE = Namespace(ID + "scope-condition/")
OBLIGATION = Namespace(ID + "obligation/")
CLAIM = Namespace(ID + "claim/")
STATE = states.STATE
SOURCE = states.SOURCE

PROJECT_ROOT = states.PROJECT_ROOT
DEFAULT_RAW_DIR = states.DEFAULT_RAW_DIR
DEFAULT_OUT = PROJECT_ROOT / "data" / "atop"

ALLIANCE_FILE = "atop_v5.1/atop5_1a.csv"
PHASE_FILE = "atop_v5.1/atop5_1aph.csv"
MEMBER_FILE = "atop_v5.1/atop5_1m.csv"
CODEBOOK_FILE = "atop_v5.1/atop_5_1_codebook.pdf"

DATASET = SOURCE["atop-5.1"]
FILE_SOURCES = {
    ALLIANCE_FILE: SOURCE["atop-5.1-alliances"],
    PHASE_FILE: SOURCE["atop-5.1-phases"],
    MEMBER_FILE: SOURCE["atop-5.1-members"],
    CODEBOOK_FILE: SOURCE["atop-5.1-codebook"],
}
CITATION = ("Leeds, Brett Ashley, Jeffrey M. Ritter, Sara McLaughlin Mitchell, and Andrew G. Long. 2002. "
            "\"Alliance Treaty Obligations and Provisions, 1815-1944.\" International Interactions 28: 237-260.")
TITLE = "Alliance Treaty Obligations and Provisions (ATOP) data, version 5.1"
URL = "http://www.atopdata.org"
# ATOP 5.1's last day: what is in force then is confirmed in force on it, and nothing later.
ATOP_END = Literal("2018-12-31", datatype=XSD.date)
FILE_TITLES = {
    ALLIANCE_FILE: "ATOP 5.1 alliance-level data (atop5_1a.csv)",
    PHASE_FILE: "ATOP 5.1 alliance-phase-level data (atop5_1aph.csv)",
    MEMBER_FILE: "ATOP 5.1 member-level data (atop5_1m.csv)",
    CODEBOOK_FILE: "ATOP 5.1 codebook (Leeds, Alliance Treaty Obligations and Provisions (ATOP) Codebook, version 5.1)",
}

EXPECTED_ROWS = {ALLIANCE_FILE: 789, PHASE_FILE: 849, MEMBER_FILE: 2510}

# ATOP member codes that the COW state list v2016 lacks (ATOP also admits Gleditsch-Ward states):
# a historical state keyed by its code, as it has no COW abbreviation.
NON_COW_MEMBER_KEY = "cow-{code}"


PREFIXES = {
    "akg": AKG, "dcterms": DCTERMS, "owl": OWL, "prov": PROV, "rdf": RDF, "rdfs": RDFS, "skos": SKOS, "xsd": XSD,
    "state": STATE, "source": SOURCE, "partnership": PARTNERSHIP, "agreement": AGREEMENT,
    "membership": MEMBERSHIP, "sc": SCOPE, "obligation": OBLIGATION, "claim": CLAIM,
}
PREDICATE_ORDER = [
    RDF.type, OWL.sameAs, RDFS.label, SKOS.altLabel, AKG.claimAbout, AKG.claimProperty, AKG.claimValue, AKG.atopId, AKG.atopPhase, AKG.startDate, AKG.endDate, AKG.lastConfirmed, AKG.signedOn, AKG.dayNotGiven,
    AKG.establishedBy, AKG.changedBy, AKG.hasMembership, AKG.member, AKG.hasScopeCondition, AKG.hasObligation,
    AKG.institutionalisation, AKG.endedBy, AKG.exitMode, AKG.exitCause,
    DCTERMS.title, DCTERMS.identifier, DCTERMS.hasVersion, DCTERMS.creator, DCTERMS.bibliographicCitation,
    DCTERMS.issued, DCTERMS.isPartOf, AKG.url, AKG.coverageUntil, AKG.sha256, PROV.wasDerivedFrom, AKG.sourceRecord,
]
WRITER = TurtleWriter(PREFIXES, PREDICATE_ORDER)
OUTPUT_FILES = ("sources.ttl", "alliances.ttl", "memberships.ttl")


class RawDataError(states.RawDataError):
    """The ATOP files are missing or do not have the shape the codebook describes."""


# ---------------------------------------------------------------- reading

def read_rows(raw_dir: Path, relative: str) -> list[dict]:
    """The data rows of one ATOP file, each with ``_row`` (its number, from 1) and ``_file``."""
    path = states._raw_file(raw_dir, relative)
    with path.open(newline="", encoding="ascii") as fh:
        rows = list(csv.DictReader(fh))
    expected = EXPECTED_ROWS.get(relative)
    if expected is not None and len(rows) != expected:
        raise RawDataError(f"{path}: {len(rows)} data rows, the ATOP 5.1 release has {expected}")
    for number, row in enumerate(rows, start=1):
        if row.get("version") != "5.1":
            raise RawDataError(f"{path} row {number}: version {row.get('version')!r}, expected 5.1")
        row["_row"], row["_file"] = number, Path(relative).name
    return rows


def _record(row: dict) -> Literal:
    return Literal(f"{row['_file']} row {row['_row']}")


def _date(row: dict, year: str, month: str, day: str, end: bool) -> tuple[Literal, bool]:
    """An xsd:date from ATOP's year/month/day columns, and whether the day was missing. A missing
    day becomes the month's first day for a start, its last day for an end (docs/atop-mapping.md)."""
    try:
        y, m = int(row[year]), int(row[month])
    except ValueError:
        raise RawDataError(f"{row['_file']} row {row['_row']}: no year or month in {year}/{month}") from None
    if not (1 <= m <= 12):
        raise RawDataError(f"{row['_file']} row {row['_row']}: month {m} in {month}")
    missing = row[day] in ("", "0")
    d = (calendar.monthrange(y, m)[1] if end else 1) if missing else int(row[day])
    return Literal(f"{y:04d}-{m:02d}-{d:02d}", datatype=XSD.date), missing


def _flag(row: dict, variable: str) -> bool:
    return row.get(variable, "") == "1"


# ---------------------------------------------------------------- building

class Builder:
    def __init__(self, raw_dir: Path, progress: Callable[[str], None] = lambda _: None):
        self.raw_dir = Path(raw_dir)
        self.progress = progress
        self.state_keys = states.cow_state_keys(self.raw_dir)
        self.state_names = {int(r["ccode"]): r["statenme"] for r in states.read_cow_spells(self.raw_dir)}
        self.graphs = {name: Graph() for name in OUTPUT_FILES}
        self.extra_states: set[int] = set()

    def state(self, code: str) -> URIRef:
        number = int(code)
        key = self.state_keys.get(number)
        if key is None:
            self.extra_states.add(number)
            key = NON_COW_MEMBER_KEY.format(code=number)
        return STATE[key]

    def name(self, code: str, row: dict, prefix: tuple[str, str, str]) -> str:
        """The member's name on the day the row dates (its year, month and day columns `prefix`): 1912's
        pacts name Serbia, not COW's Yugoslavia (states.COW_NAMES_BY_DATE)."""
        year, month, day = (int(row[column] or 0) for column in prefix)
        on = f"{year:04d}-{max(month, 1):02d}-{max(day, 1):02d}" if year else None
        return states.cow_name(int(code), self.state_names.get(int(code), f"state {code}"), on)

    def derived(self, g: Graph, subject: URIRef, row: dict, relative: str) -> None:
        g.add((subject, PROV.wasDerivedFrom, FILE_SOURCES[relative]))
        g.add((subject, AKG.sourceRecord, _record(row)))

    def dated(self, g: Graph, subject: URIRef, row: dict, prefix: tuple[str, str, str], prop: URIRef, end: bool,
              claim: Callable | None = None):
        value, missing = _date(row, *prefix, end=end)
        name = str(prop).rsplit("#", 1)[1]
        if claim is not None:
            subject = claim(prop, value, name)
        else:
            g.add((subject, prop, value))
        if missing:
            g.add((subject, AKG.dayNotGiven, Literal(name)))

    def claimer(self, g: Graph, about: URIRef, key: str, row: dict, relative: str) -> Callable:
        """A function that records ATOP's value of a property of ``about`` as a source claim
        ``claim/{key}-{property}`` (from ``row`` of ``relative``) and returns the claim."""
        def claim(prop: URIRef, value, name: str, why: str | None = None) -> URIRef:
            node = CLAIM[f"{key}-{name}"]
            g.add((node, RDF.type, AKG.SourceClaim))
            g.add((node, AKG.claimAbout, about))
            g.add((node, AKG.claimProperty, prop))
            g.add((node, AKG.claimValue, value))
            g.add((node, RDFS.label, Literal(f"ATOP 5.1 on {str(about)[len(ID):]}: {name}", lang="en")))
            g.add((node, RDFS.comment, Literal(PREFERRED[why or name], lang="en")))
            self.derived(g, node, row, relative)
            return node
        return claim

    def build(self) -> dict[str, Graph]:
        alliances = read_rows(self.raw_dir, ALLIANCE_FILE)
        phases = read_rows(self.raw_dir, PHASE_FILE)
        members = read_rows(self.raw_dir, MEMBER_FILE)
        self.progress(f"read {len(alliances)} alliances, {len(phases)} phases, {len(members)} member rows")
        self.add_sources()
        phases_of: dict[str, list[dict]] = {}
        for row in phases:
            phases_of.setdefault(row["atopid"], []).append(row)
        members_of: dict[tuple[str, str], list[dict]] = {}
        for row in members:
            members_of.setdefault((row["atopid"], row["phase"]), []).append(row)
        known = {row["atopid"] for row in alliances}
        stray = sorted({row["atopid"] for row in phases + members} - known, key=int)
        if stray:
            raise RawDataError(f"atopids in the phase or member file but not in {ALLIANCE_FILE}: {stray[:10]}")
        for index, alliance in enumerate(alliances, start=1):
            self.add_alliance(alliance, phases_of.get(alliance["atopid"], []), members_of)
            if index % 200 == 0:
                self.progress(f"mapped {index}/{len(alliances)} alliances")
        self.add_extra_states()
        return self.graphs

    def add_sources(self) -> None:
        g = self.graphs["sources.ttl"]
        g.add((DATASET, RDF.type, AKG.Source))
        g.add((DATASET, RDF.type, PROV.Entity))
        g.add((DATASET, RDFS.label, Literal("ATOP 5.1: Alliance Treaty Obligations and Provisions, version 5.1", lang="en")))
        g.add((DATASET, DCTERMS.title, Literal(TITLE)))
        g.add((DATASET, DCTERMS.hasVersion, Literal("5.1")))
        g.add((DATASET, DCTERMS.creator, Literal("Brett Ashley Leeds")))
        g.add((DATASET, DCTERMS.bibliographicCitation, Literal(CITATION)))
        g.add((DATASET, AKG.url, Literal(URL, datatype=XSD.anyURI)))
        g.add((DATASET, AKG.coverageUntil, ATOP_END))
        g.add((DATASET, RDFS.comment, Literal(
            "Alliances formed 1815-2018; the data end on 31 December 2018. ATOP asks users to cite Leeds et al. "
            "(2002). The files were read from the replication material of Gannon (2025), repository "
            "jandresgannon/AlliesArmaments at commit 7161d1ac7c8c367cebc15654e905a58e93fcbdba, folder "
            "inst/extdata/ATOP/ (see each file's source for its SHA-256). Terms: free for research with "
            "citation; no open licence stated.", lang="en")))
        for relative, source in FILE_SOURCES.items():
            g.add((source, RDF.type, AKG.Source))
            g.add((source, RDF.type, PROV.Entity))
            g.add((source, RDFS.label, Literal(FILE_TITLES[relative], lang="en")))
            g.add((source, DCTERMS.title, Literal(FILE_TITLES[relative])))
            g.add((source, DCTERMS.identifier, Literal(Path(relative).name)))
            g.add((source, DCTERMS.isPartOf, DATASET))
            g.add((source, DCTERMS.bibliographicCitation, Literal(f"{CITATION} File {Path(relative).name}.")))
            g.add((source, AKG.url, Literal(URL, datatype=XSD.anyURI)))
            g.add((source, AKG.sha256, Literal(states.sha256(states._raw_file(self.raw_dir, relative)))))
        g.add((FILE_SOURCES[CODEBOOK_FILE], DCTERMS.issued, Literal("2022-08-09", datatype=XSD.date)))

    def add_alliance(self, alliance: dict, phases: list[dict], members_of: dict) -> None:
        g = self.graphs["alliances.ttl"]
        atopid = alliance["atopid"]
        merge = MERGES.get(atopid)
        partnership = PARTNERSHIP[merge.key if merge else f"atop-{atopid}"]
        if not phases:
            raise RawDataError(f"atopid {atopid} has no row in {PHASE_FILE}")
        phases = sorted(phases, key=lambda r: int(r["phase"]))
        first_members = members_of.get((atopid, phases[0]["phase"]), [])
        codes = sorted({r["member"] for r in first_members}, key=int)
        names = [self.name(c, alliance, ("begyr", "begmo", "begday")) for c in codes]
        who = ", ".join(names) if len(names) <= 4 else f"{', '.join(names[:4])} and {len(names) - 4} others"
        label = Literal(f"ATOP {atopid}: {who} ({alliance['begyr']})", lang="en")
        if merge:
            # the curated record states its type and akg:atopId (tests/datasets/test_atop.py checks): stated
            # twice, in two graphs of the union default graph, they would count twice in a naive query
            g.add((partnership, SKOS.altLabel, label))
            g.add((PARTNERSHIP[f"atop-{atopid}"], OWL.sameAs, partnership))
        else:
            g.add((partnership, RDF.type, AKG.SecurityPartnership))
            g.add((partnership, RDFS.label, label))
            g.add((partnership, AKG.atopId, Literal(int(atopid), datatype=XSD.integer)))
        # On a merged alliance ATOP's dates and institutionalisation are claims beside the curated values.
        about = self.claimer(g, partnership, f"atop-{atopid}", alliance, ALLIANCE_FILE) if merge else None
        self.dated(g, partnership, alliance, ("begyr", "begmo", "begday"), AKG.startDate, end=False, claim=about)
        if alliance["endyr"] != "0":
            self.dated(g, partnership, alliance, ("endyr", "endmo", "endday"), AKG.endDate, end=True, claim=about)
        else:
            g.add((partnership, AKG.lastConfirmed, ATOP_END))
        if alliance["term"] in TERM:
            g.add((partnership, AKG.endedBy, AKG[TERM[alliance["term"]]]))
        self.derived(g, partnership, alliance, ALLIANCE_FILE)

        any_force = False
        for index, phase in enumerate(phases):
            suffix = "" if phase["phase"] == "0" else f"-phase-{phase['phase']}"
            agreement = self.add_agreement(phase, suffix)
            g.add((partnership, AKG.establishedBy if index == 0 else AKG.changedBy, agreement))
            rows = members_of.get((atopid, phase["phase"]), [])
            if not rows:
                raise RawDataError(f"atopid {atopid} phase {phase['phase']} has no member rows in {MEMBER_FILE}")
            any_force |= self.add_obligations(partnership, agreement, phase, rows, suffix)
            for variable, cls in PACT_CLASSES.items():
                if any(_flag(r, variable) for r in rows):
                    g.add((partnership, RDF.type, cls))
            self.add_memberships(partnership, rows, suffix)
        if merge:
            self.merge_memberships(merge, [r for p in phases for r in members_of[(atopid, p["phase"])]])
        if any_force != (_flag(alliance, "defense") or _flag(alliance, "offense")):
            raise RawDataError(f"atopid {atopid}: the member rows and {ALLIANCE_FILE} disagree on defence/offence")
        if not any_force:
            # ATOP codes every obligation of every member: no defence or offence promise in any phase.
            if merge:
                about(RDF.type, AKG.PartnershipWithoutScopeCondition, "type")
            else:
                g.add((partnership, RDF.type, AKG.PartnershipWithoutScopeCondition))
        level = institutionalisation(phases[-1])
        if merge:
            about(AKG.institutionalisation, level, "institutionalisation")
        else:
            g.add((partnership, AKG.institutionalisation, level))

    def add_agreement(self, phase: dict, suffix: str) -> URIRef:
        g = self.graphs["alliances.ttl"]
        atopid = phase["atopid"]
        agreement = AGREEMENT[f"atop-{atopid}{suffix}"]
        g.add((agreement, RDF.type, AKG.Treaty))
        what = "founding agreement" if phase["phase"] in ("0", "1") else f"agreement of phase {phase['phase']}"
        g.add((agreement, RDFS.label, Literal(f"ATOP {atopid}, {what} ({phase['begyr']})", lang="en")))
        g.add((agreement, AKG.atopPhase, Literal(int(phase["phase"]), datatype=XSD.integer)))
        self.dated(g, agreement, phase, ("begyr", "begmo", "begday"), AKG.signedOn, end=False)
        if phase["endyr"] != "0":
            self.dated(g, agreement, phase, ("endyr", "endmo", "endday"), AKG.endDate, end=True)
        if phase["term"] in TERM:
            g.add((agreement, AKG.endedBy, AKG[TERM[phase["term"]]]))
        for variable, (prop, codes) in PROVISIONS.items():
            if phase[variable] in codes:
                g.add((agreement, AKG[prop], AKG[codes[phase[variable]]]))
        for variable, prop in BOOLEANS.items():
            if phase[variable] in ("0", "1"):
                g.add((agreement, AKG[prop], Literal(phase[variable] == "1")))
        for variable in ("statthr1", "statthr2"):
            if phase[variable] not in ("", "0"):
                g.add((agreement, AKG.namedThreat, self.state(phase[variable])))
        self.derived(g, agreement, phase, PHASE_FILE)
        return agreement

    def add_obligations(self, partnership: URIRef, agreement: URIRef, phase: dict, rows: list[dict], suffix: str) -> bool:
        g = self.graphs["alliances.ttl"]
        atopid = phase["atopid"]
        any_force = False
        for kind in OBLIGATIONS:
            undertaking = [r for r in rows if _flag(r, kind.variable)]
            if not undertaking:
                continue
            key = f"atop-{atopid}{suffix}-{kind.key}"
            obligation = (SCOPE if kind.scope_condition else OBLIGATION)[key]
            g.add((obligation, RDF.type, AKG[kind.cls]))
            g.add((obligation, RDFS.label, Literal(f"ATOP {atopid}{suffix.replace('-phase-', ', phase ')}: {kind.label}", lang="en")))
            self.dated(g, obligation, phase, ("begyr", "begmo", "begday"), AKG.startDate, end=False)
            if phase["endyr"] != "0":
                self.dated(g, obligation, phase, ("endyr", "endmo", "endday"), AKG.endDate, end=True)
            obligors = sorted({r["member"] for r in undertaking}, key=int)
            if kind.scope_condition:
                any_force = True
                g.add((partnership, AKG.hasScopeCondition, obligation))
                g.add((obligation, AKG.declaredIn, agreement))
                for code in obligors:
                    g.add((obligation, AKG.guarantor, self.state(code)))
                if kind.variable == "defense":
                    if len(obligors) >= 2:
                        g.add((obligation, RDF.type, AKG.MutualDefenseClause))
                    else:
                        g.add((obligation, RDF.type, AKG.UnilateralSecurityGuarantee))
                        for code in sorted({r["member"] for r in rows} - set(obligors), key=int):
                            g.add((obligation, AKG.beneficiary, self.state(code)))
            else:
                g.add((partnership, AKG.hasObligation, obligation))
                g.add((obligation, AKG.writtenIn, agreement))
                for code in obligors:
                    g.add((obligation, AKG.undertakenBy, self.state(code)))
            if kind.prefix:
                for suffix_code, individual in CONDITIONS.items():
                    if any(_flag(r, kind.prefix + suffix_code) for r in undertaking):
                        g.add((obligation, AKG.conditionalOn, AKG[individual]))
            if any(_flag(r, "olimob") for r in undertaking):
                g.add((obligation, AKG.conditionalOn, AKG.OtherCondition))
            g.add((obligation, PROV.wasDerivedFrom, FILE_SOURCES[MEMBER_FILE]))
            for r in undertaking:
                g.add((obligation, AKG.sourceRecord, _record(r)))
        return any_force

    def curated_member(self, merge: Merge | None, row: dict) -> str | None:
        """The state key of the curated membership an ATOP member row belongs to, if any."""
        if merge is None:
            return None
        key = self.state_key(row["member"])
        key = dict(merge.successors).get(key, key)
        return key if merge.members_from_atop or key in merge.members.split() else None

    def state_key(self, code: str) -> str:
        return str(self.state(code))[len(str(STATE)):]

    def add_memberships(self, partnership: URIRef, rows: list[dict], suffix: str) -> None:
        g = self.graphs["memberships.ttl"]
        merge = MERGES.get(rows[0]["atopid"])
        seen: dict[str, int] = {}
        for row in sorted(rows, key=lambda r: (int(r["member"]), int(r["yrent"]), int(r["moent"]), r["_row"])):
            state = self.state(row["member"])
            state_key = self.state_key(row["member"])
            seen[state_key] = seen.get(state_key, 0) + 1
            spell = "" if seen[state_key] == 1 else f"-{seen[state_key]}"
            membership = MEMBERSHIP[f"atop-{row['atopid']}-{state_key}{suffix}{spell}"]
            curated = self.curated_member(merge, row)
            if curated is not None:
                # written on the curated membership by merge_memberships; the old IRI resolves to it
                g.add((membership, OWL.sameAs, MEMBERSHIP[f"{merge.key}-{curated}"]))
                continue
            g.add((partnership, AKG.hasMembership, membership))
            g.add((membership, RDF.type, AKG.Membership))
            phase = "" if row["phase"] == "0" else f", phase {row['phase']}"
            g.add((membership, RDFS.label, Literal(f"{self.name(row['member'], row, ('yrent', 'moent', 'dayent'))} in ATOP {row['atopid']}{phase}",
                                                  lang="en")))
            g.add((membership, AKG.member, state))
            g.add((membership, AKG.atopPhase, Literal(int(row["phase"]), datatype=XSD.integer)))
            self.add_start(g, membership, merge, row, str(membership)[len(str(MEMBERSHIP)):])
            if row["yrexit"] != "0":
                self.dated(g, membership, row, ("yrexit", "moexit", "dayexit"), AKG.endDate, end=True)
            else:
                g.add((membership, AKG.lastConfirmed, ATOP_END))
            if row["termmode"] in TERMMODE:
                g.add((membership, AKG.exitMode, AKG[TERMMODE[row["termmode"]]]))
            if row["termcaus"] in TERMCAUS:
                g.add((membership, AKG.exitCause, AKG[TERMCAUS[row["termcaus"]]]))
            self.derived(g, membership, row, MEMBER_FILE)

    def merge_memberships(self, merge: Merge, rows: list[dict]) -> None:
        """ATOP's spells of each member the curated record holds, as one membership: ATOP's phases follow one
        another without a gap (a new phase is a new agreement, not an exit), so its first entry and its last
        exit (if any) are claims beside the curated dates; its phases, rows and confirmation are asserted."""
        g = self.graphs["memberships.ttl"]
        spells: dict[str, list[dict]] = {}
        for row in rows:
            curated = self.curated_member(merge, row)
            if curated is not None:
                spells.setdefault(curated, []).append(row)
        missing = set(merge.members.split()) - set(spells)
        if missing:
            raise RawDataError(f"atopid {rows[0]['atopid']}: no ATOP member row for the curated members {sorted(missing)}")
        for key, member_rows in sorted(spells.items()):
            member_rows.sort(key=lambda r: _date(r, "yrent", "moent", "dayent", end=False)[0].toPython())
            for before, after in zip(member_rows, member_rows[1:]):
                if _date(before, "yrexit", "moexit", "dayexit", end=True)[0] != _date(after, "yrent", "moent", "dayent", end=False)[0]:
                    raise RawDataError(f"atopid {before['atopid']}: {key}'s ATOP spells leave a gap; they cannot be one membership")
            membership = MEMBERSHIP[f"{merge.key}-{key}"]
            first, last = member_rows[0], member_rows[-1]
            if merge.members_from_atop:
                self.add_merged_membership(merge, membership, first, last)
                for row in member_rows:
                    g.add((membership, AKG.atopPhase, Literal(int(row["phase"]), datatype=XSD.integer)))
                    self.derived(g, membership, row, MEMBER_FILE)
                continue
            # the link, the type and the member are the curated record's statements (not repeated here)
            claim = self.claimer(g, membership, f"atop-{first['atopid']}-{key}", first, MEMBER_FILE)
            self.dated(g, membership, first, ("yrent", "moent", "dayent"), AKG.startDate, end=False,
                       claim=lambda p, v, n: claim(p, v, n, why="membershipStart"))
            if last["yrexit"] != "0":
                exit_claim = self.claimer(g, membership, f"atop-{last['atopid']}-{key}", last, MEMBER_FILE)
                self.dated(g, membership, last, ("yrexit", "moexit", "dayexit"), AKG.endDate, end=True,
                           claim=lambda p, v, n: exit_claim(p, v, n, why="membershipEnd"))
            else:
                g.add((membership, AKG.lastConfirmed, ATOP_END))
            for row in member_rows:
                g.add((membership, AKG.atopPhase, Literal(int(row["phase"]), datatype=XSD.integer)))
                self.derived(g, membership, row, MEMBER_FILE)
                if self.state_key(row["member"]) != key:
                    claim(AKG.member, self.state(row["member"]), f"member-phase-{row['phase']}", why="member")

    def add_start(self, g: Graph, membership: URIRef, merge: Merge | None, row: dict, key: str) -> None:
        """The membership's start: the state's accession or the treaty's entry into force where a merge gives one
        that differs from ATOP's entry (ATOP's date is then a claim, ``claim/{key}-startDate``), else ATOP's."""
        start, _ = _date(row, "yrent", "moent", "dayent", end=False)
        preferred, why = (merge.accession(self.state_key(row["member"])), "accession") if merge else (None, None)
        if merge and preferred is None and merge.entered_into_force \
                and start < Literal(merge.entered_into_force[0], datatype=XSD.date):
            preferred, why = merge.entered_into_force, "enteredIntoForce"
        if preferred is None or start == Literal(preferred[0], datatype=XSD.date):
            self.dated(g, membership, row, ("yrent", "moent", "dayent"), AKG.startDate, end=False)
            return
        claim = self.claimer(g, membership, key, row, MEMBER_FILE)
        self.dated(g, membership, row, ("yrent", "moent", "dayent"), AKG.startDate, end=False,
                   claim=lambda p, v, n: claim(p, v, n, why=why))
        g.add((membership, AKG.startDate, Literal(preferred[0], datatype=XSD.date)))
        for source in preferred[1].split():
            g.add((membership, PROV.wasDerivedFrom, SOURCE[source]))

    def add_merged_membership(self, merge: Merge, membership: URIRef, first: dict, last: dict) -> None:
        """One membership from ATOP's spells of a state in an alliance whose curated record lists no members: its
        link, type and member, its first entry (the treaty's entry into force where ATOP's entry, the signature,
        is earlier; ATOP's date is then a claim) and its last exit."""
        g = self.graphs["memberships.ttl"]
        partnership = PARTNERSHIP[merge.key]
        g.add((partnership, AKG.hasMembership, membership))
        g.add((membership, RDF.type, AKG.Membership))
        name = self.name(first["member"], first, ("yrent", "moent", "dayent"))
        g.add((membership, RDFS.label, Literal(f"{name} in ATOP {first['atopid']}", lang="en")))
        g.add((membership, AKG.member, self.state(first["member"])))
        self.add_start(g, membership, merge, first, f"atop-{first['atopid']}-{self.state_key(first['member'])}")
        if last["yrexit"] != "0":
            self.dated(g, membership, last, ("yrexit", "moexit", "dayexit"), AKG.endDate, end=True)
        else:
            g.add((membership, AKG.lastConfirmed, ATOP_END))
        if last["termmode"] in TERMMODE:
            g.add((membership, AKG.exitMode, AKG[TERMMODE[last["termmode"]]]))
        if last["termcaus"] in TERMCAUS:
            g.add((membership, AKG.exitCause, AKG[TERMCAUS[last["termcaus"]]]))

    def add_extra_states(self) -> None:
        g = self.graphs["alliances.ttl"]
        for code in sorted(self.extra_states):
            s = STATE[NON_COW_MEMBER_KEY.format(code=code)]
            g.add((s, RDF.type, AKG.State))
            g.add((s, RDFS.label, Literal(f"ATOP member state {code} (a code not in the COW state list v2016)", lang="en")))
            g.add((s, AKG.cowCode, Literal(code, datatype=XSD.integer)))
            g.add((s, PROV.wasDerivedFrom, FILE_SOURCES[MEMBER_FILE]))
            g.add((s, RDFS.comment, Literal(
                "ATOP 5.1 lists this code as an alliance member; the COW state list v2016 has no state with it and "
                "no source held here names the state, so it is labelled by its code only.", lang="en")))


def institutionalisation(phase: dict) -> URIRef:
    """The degree of institutionalisation of the latest phase (docs/atop-mapping.md): integrated
    command if ATOP codes one (INTCOM 1); a standing organisation if the agreement creates one
    (ORGAN1 1-3) or requires peacetime military contact (MILCON 2-3); else codified (a written
    agreement: ATOP admits no other)."""
    if phase["intcom"] == "1":
        return AKG.IntegratedCommand
    if phase["organ1"] in ("1", "2", "3") or phase["milcon"] in ("2", "3"):
        return AKG.StandingOrganisation
    return AKG.Codified


HEADERS = {
    "sources.ttl": "ATOP 5.1: the data set and the files read, with their SHA-256.",
    "alliances.ttl": "ATOP 5.1: alliances as partnerships, phases as agreements, obligations and provisions.",
    "memberships.ttl": "ATOP 5.1: one membership per member row (entry, exit, exit mode and cause).",
}


def build_atop(raw_dir: Path, progress: Callable[[str], None] = lambda _: None) -> dict[str, Graph]:
    """The ATOP graphs, one per output file, from the raw files under ``raw_dir``."""
    return Builder(raw_dir, progress).build()


def serialize(name: str, g: Graph) -> bytes:
    header = ["Generated by service/datasets/atop.py (alliance-kg build-data): do not edit.",
              HEADERS[name], "Mapping and reasons: docs/atop-mapping.md."]
    return WRITER.serialize(g, header)


def write_atop(raw_dir: Path, out_dir: Path, progress: Callable[[str], None] = lambda _: None) -> dict[str, Graph]:
    """Build and write every file, or nothing: all outputs are serialised before any is written."""
    graphs = build_atop(raw_dir, progress)
    out_dir = Path(out_dir)
    bodies = {name: serialize(name, g) for name, g in graphs.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, body in bodies.items():
        (out_dir / name).write_bytes(body)
        progress(f"wrote {out_dir / name} ({len(graphs[name])} triples)")
    return graphs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.datasets.atop",
                                     description="Rebuild data/atop/ from the raw ATOP 5.1 files.")
    parser.add_argument("raw_dir", nargs="?", type=Path, default=DEFAULT_RAW_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        write_atop(args.raw_dir, args.out, progress=lambda m: print(m, file=sys.stderr))
    except states.RawDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
