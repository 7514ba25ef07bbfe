"""The ATOP 5.1 alliances that are also partnerships of ``data/paper/partnerships.ttl``: one alliance, one IRI.

:mod:`service.datasets.atop` writes the record of each on the curated IRI; this table says which, which
curated memberships ATOP's member rows belong to, and why a curated value is preferred where ATOP's
differs (the ``rdfs:comment`` of each ``akg:SourceClaim``). Reasons: docs/atop-mapping.md.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Merge:
    """An ATOP alliance that is also a curated partnership (``data/paper/partnerships.ttl``): one alliance,
    one IRI. ATOP's record is written on the curated IRI ``partnership/{key}``; the ATOP IRI is kept as
    ``owl:sameAs`` it. ATOP's memberships of a state the curated record already holds
    (``membership/{key}-{state}``) are written on that membership, so each member counts once."""
    key: str
    members: str = ""  # state keys of the curated memberships, space-separated
    successors: tuple[tuple[str, str], ...] = ()  # (ATOP's member, the curated member it continues)
    # The entry into force of the founding treaty and its source, where ATOP's other members' spells start
    # earlier (at the signature): their start follows the convention of ontology/README.md, "Dates".
    entered_into_force: tuple[str, str] | None = None
    # The curated record lists no members (the paper names none): ATOP's member rows are its memberships, one per
    # state (``membership/{key}-{state}``, ATOP's phases as one spell), stated by the builder.
    members_from_atop: bool = False
    # States that joined after the founding treaty, on their accession, where ATOP enters them later (with a later
    # phase): (state keys, space-separated; the day of accession; its sources' keys, space-separated).
    accessions: tuple[tuple[str, str, str], ...] = ()

    def accession(self, state: str) -> tuple[str, str] | None:
        """The day ``state`` acceded and its sources, if this record gives one."""
        return next(((day, sources) for states, day, sources in self.accessions if state in states.split()), None)


# Checked one by one against the curated record's treaty (docs/atop-mapping.md, "One alliance, one IRI").
# Not merged: Russia-DPRK (the paper's is the 2024 treaty; ATOP 4940 the 2000 treaty it replaced), US-Taiwan
# (the paper's rests on verbal commitments; ATOP 3270 is the 1954 treaty ended in 1980), Russia-Belarus (the
# paper names no treaty).
MERGES = {
    "3180": Merge("nato", "ALB BEL BGR CAN CZE DEU DNK ESP EST FRA GBR GRC HRV HUN ISL ITA LTU LUX LVA MNE NLD "
                          "NOR POL PRT ROU SVK SVN TUR USA", successors=(("cow-gfr", "DEU"),)),
    "3210": Merge("usa-philippines", "PHL USA"),
    "3215": Merge("anzus", "AUS NZL USA"),
    "3240": Merge("usa-rok", "KOR USA"),
    # The Manila Pact (Southeast Asia Collective Defense Treaty): the curated US-Thailand alliance rests on
    # it; its other parties' ATOP memberships, ended in the 1970s, hang on the same IRI under their own.
    "3260": Merge("usa-thailand", "THA USA", entered_into_force=("1955-02-19", "manila-pact-1954-text")),
    "3375": Merge("usa-japan", "JPN USA"),
    "3445": Merge("china-dprk", "CHN PRK"),
    "4810": Merge("sco", "CHN IND KAZ KGZ PAK RUS TJK UZB"),
    "6040": Merge("france-djibouti", entered_into_force=("2014-05-01", "assemblee-nationale-15-document-1154")),
    # The European Union (Treaty on European Union, in force 1 November 1993; ATOP's phase 2 is the Lisbon treaty
    # and its mutual assistance clause, Article 42(7) TEU) and the African Union (Constitutive Act, in force
    # 26 May 2001): the paper names them and lists no members.
    "4175": Merge("european-union", entered_into_force=("1993-11-01", "treaty-on-european-union-1992-text"),
                  members_from_atop=True,
                  accessions=(("CYP CZE EST HUN LVA LTU MLT POL SVK SVN", "2004-05-01",
                               "eu-delegation-bih-2009-five-years-of-enlarged-eu"),
                              ("BGR ROU", "2007-01-01",
                               "eu-delegation-bih-2009-five-years-of-enlarged-eu europa-2007-01-05-bulgaria-romania-join"),
                              ("HRV", "2013-07-01", "eurostat-glossary-european-union"))),
    "4953": Merge("african-union", entered_into_force=("2001-05-26", "pap-au-constitutive-act"), members_from_atop=True),
}
PREFERRED = {
    "startDate": "The curated record dates the alliance from the entry into force of its treaty (ontology/README.md, "
                 "\"Dates\"); ATOP dates it from the signature.",
    "membershipStart": "The curated record dates the membership from its entry into force (the treaty's, or the "
                       "accession); ATOP dates it from the signature of the treaty or protocol.",
    "membershipEnd": "The curated record's end of the membership (or its absence), reviewed against sources up to "
                     "the curation date, is asserted; this is ATOP's.",
    "endDate": "The curated record's end (or its absence) is preferred: it is reviewed against sources up to the "
               "curation date.",
    "institutionalisation": "The curated record follows the paper's reading of the alliance's institutions; ATOP codes "
                            "the treaty text.",
    "type": "ATOP codes no defence or offence obligation for it; the curated record's classification is asserted (the "
            "same, unless it records a scope condition from another source).",
    "enteredIntoForce": "The membership starts with the treaty's entry into force (ontology/README.md, \"Dates\"); "
                        "ATOP dates it from the signature.",
    "member": "ATOP records the predecessor state; the curated record counts the membership as one, of its successor.",
    "accession": "The curated record dates the membership from the state's accession (its sources); ATOP enters the "
                 "state later, with the phase that follows its accession.",
}
