"""Synthetic alliance graphs of a chosen size, deterministic from a seed.

The graph follows the ontology as data/paper/ does: partnerships established by agreements, with
memberships over time, a scope condition on most (so the reasoner classifies them as alliances),
military diffusion events between states (some through a partnership, forming chains), indicator
observations, and provenance on every fact. Real states of data/states.ttl are members next to
synthetic historical states, so that the queries' default parameters (state:IRN, state:RUS) reach
the synthetic data too. Every IRI key contains `syn-`: nothing collides with the curated graph.

    python -m benchmarks.generate 100k -o /tmp/akg-bench/100k    # writes data/ under it
"""
from __future__ import annotations

import argparse
import random
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from service import iris
from service.config import PROJECT_ROOT

AKG, ID = iris.AKG, iris.ID
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
TITLE = "<http://purl.org/dc/terms/title>"
CITATION = "<http://purl.org/dc/terms/bibliographicCitation>"
XSD = "http://www.w3.org/2001/XMLSchema#"

MECHANISMS = ("Balancing", "Bandwagoning", "Tethering")
CONFIDENCE = ("Stated", "AlmostCertain", "Likely", "Alleged", "Possible")
TRENDS = ("Strengthening", "Reaffirmed", "Stable", "Strained", "Faded")
INDICATORS = ("PublicSpeechesIndicator", "DiplomaticVisitsTreatiesIndicator", "JointMilitaryExercisesIndicator",
              "EconomicCooperationIndicator", "TreatyObligationsRespectIndicator",
              "ReassuranceMechanismsIndicator", "ConsultationMechanismsIndicator", "IntegratedInstitutionsIndicator")
FIRST_DAY, LAST_DAY = date(1815, 1, 1), date(2025, 6, 30)
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}


def parse_size(text: str) -> int:
    """'10k', '1M', '2500' -> a number of triples."""
    if text in SIZES:
        return SIZES[text]
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 10k, 1M, 250000)")
    number, unit = float(match.group(1)), match.group(2).lower()
    return int(number * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


def _iri(kind: str, key: str) -> str:
    return f"<{ID}{kind}/{key}>"


def _akg(name: str) -> str:
    return f"<{AKG}{name}>"


def _date(day: date) -> str:
    return f'"{day.isoformat()}"^^<{XSD}date>'


def _int(n: int) -> str:
    return f'"{n}"^^<{XSD}integer>'


def _text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"@en'


@dataclass
class _Writer:
    out: object
    count: int = 0

    def add(self, s: str, p: str, o: str) -> None:
        self.out.write(f"{s} {p} {o} .\n")
        self.count += 1


def real_states(states_file: Path = PROJECT_ROOT / "data" / "states.ttl") -> list[str]:
    """The ISO codes of the curated states, in file order."""
    return re.findall(r"^state:([A-Z]{3})\s*$", states_file.read_text(encoding="utf-8"), re.MULTILINE)


class _Generator:
    def __init__(self, target: int, seed: int, writer: _Writer):
        self.target, self.rng, self.w = target, random.Random(seed), writer
        self.states = [_iri("state", code) for code in real_states()]
        self.partnerships: list[tuple[str, date, list[str]]] = []
        self.sources: list[str] = []
        self.items = [_iri("item", f"syn-item-{i}") for i in range(40)]

    def day(self, after: date = FIRST_DAY, before: date = LAST_DAY) -> date:
        span = (before - after).days
        return after + timedelta(days=self.rng.randrange(max(span, 1)))

    def state(self) -> str:
        # a few states in many partnerships, most in few: the dyad and portfolio queries get real work
        return self.states[min(int(self.rng.paretovariate(1.0)) - 1, len(self.states) - 1)
                           if self.rng.random() < 0.5 else self.rng.randrange(len(self.states))]

    def source(self) -> str:
        if not self.sources or self.rng.random() < 0.05:
            n = len(self.sources)
            iri = _iri("source", f"syn-source-{n}")
            self.w.add(iri, RDF_TYPE, _akg("Source"))
            self.w.add(iri, RDF_TYPE, "<http://www.w3.org/ns/prov#Entity>")
            self.w.add(iri, LABEL, _text(f"Synthetic source {n}"))
            self.w.add(iri, TITLE, _text(f"Synthetic source {n} (benchmark data, not a fact)"))
            self.w.add(iri, CITATION, '"alliance-kg benchmarks/generate.py"')
            self.sources.append(iri)
        return self.rng.choice(self.sources)

    def new_state(self) -> None:
        n = len(self.states)
        iri = _iri("state", f"cow-syn-{n}")  # historical states are keyed cow-…
        self.w.add(iri, RDF_TYPE, _akg("State"))
        self.w.add(iri, LABEL, _text(f"Synthetic state {n}"))
        self.w.add(iri, _akg("cowCode"), _int(10_000 + n))
        self.states.append(iri)

    def items_once(self) -> None:
        for n, iri in enumerate(self.items):
            self.w.add(iri, RDF_TYPE, _akg("WeaponsSystem"))
            self.w.add(iri, LABEL, _text(f"Synthetic item {n}"))
            self.w.add(iri, DERIVED, self.source())

    def partnership(self) -> None:
        n, w, rng = len(self.partnerships), self.w, self.rng
        key = f"syn-{n}"
        part, agr = _iri("partnership", key), _iri("agreement", key)
        start = self.day()
        end = self.day(start + timedelta(days=365)) if rng.random() < 0.3 and start < date(2020, 1, 1) else None
        size = min(2 + int(rng.paretovariate(1.3)), 60)
        members = list(dict.fromkeys(self.state() for _ in range(size)))
        if len(members) < 2:
            members.append(self.rng.choice([s for s in self.states if s != members[0]]))
        w.add(part, RDF_TYPE, _akg("SecurityPartnership"))
        w.add(part, LABEL, _text(f"Synthetic partnership {n}"))
        w.add(part, _akg("startDate"), _date(start))
        if end:
            w.add(part, _akg("endDate"), _date(end))
        w.add(part, _akg("establishedBy"), agr)
        if rng.random() < 0.5:
            w.add(part, _akg("formationMechanism"), _akg(rng.choice(MECHANISMS)))
        if rng.random() < 0.3:
            w.add(part, _akg("atopId"), _int(90_000 + n))
        w.add(part, DERIVED, self.source())
        w.add(agr, RDF_TYPE, _akg("Treaty" if rng.random() < 0.7 else "VerbalCommitment"))
        w.add(agr, LABEL, _text(f"Synthetic agreement {n}"))
        w.add(agr, _akg("startDate"), _date(start))
        for member in members[:3]:
            w.add(agr, _akg("signatory"), member)
        w.add(agr, DERIVED, self.source())
        roll = rng.random()
        if roll < 0.6:  # a declared scope condition: the reasoner makes this an alliance
            scope = _iri("scope-condition", key)
            w.add(part, _akg("hasScopeCondition"), scope)
            w.add(scope, RDF_TYPE, _akg("MutualDefenseClause" if rng.random() < 0.5 else "ScopeCondition"))
            w.add(scope, LABEL, _text(f"Scope condition of synthetic partnership {n}"))
            w.add(scope, _akg("declaredIn"), agr)
            w.add(scope, DERIVED, self.source())
        elif roll < 0.75:
            w.add(part, RDF_TYPE, _akg("PartnershipWithoutScopeCondition"))
        last = end or LAST_DAY
        for j, member in enumerate(members):
            ms = _iri("membership", f"{key}-{j}")
            joined = start if j < 3 or rng.random() < 0.5 else self.day(start, last)
            w.add(part, _akg("hasMembership"), ms)
            w.add(ms, RDF_TYPE, _akg("Membership"))
            w.add(ms, LABEL, _text(f"Member {j} of synthetic partnership {n}"))
            w.add(ms, _akg("member"), member)
            w.add(ms, _akg("startDate"), _date(joined))
            if rng.random() < 0.15 and joined + timedelta(days=2) < last:
                w.add(ms, _akg("endDate"), _date(self.day(joined + timedelta(days=1), last)))
            w.add(ms, DERIVED, self.source())
        self.partnerships.append((part, start, members))

    def diffusion(self, n: int) -> None:
        w, rng = self.w, self.rng
        event = _iri("diffusion", f"syn-{n}")
        via = rng.choice(self.partnerships) if self.partnerships and rng.random() < 0.5 else None
        origin, recipient = (rng.sample(via[2], 2) if via else (self.state(), self.state()))
        if origin == recipient:
            recipient = rng.choice(self.states)
        w.add(event, RDF_TYPE, _akg("MilitaryDiffusion"))
        w.add(event, LABEL, _text(f"Synthetic diffusion {n}"))
        w.add(event, _akg("diffusedFrom"), origin)
        w.add(event, _akg("diffusedTo"), recipient)
        w.add(event, _akg("diffusedItem"), rng.choice(self.items))
        if via:
            w.add(event, _akg("viaPartnership"), via[0])
        w.add(event, _akg("startDate"), _date(self.day(via[1] if via else FIRST_DAY)))
        w.add(event, _akg("confidence"), _akg(rng.choice(CONFIDENCE)))
        w.add(event, DERIVED, self.source())

    def observation(self, n: int) -> None:
        w, rng = self.w, self.rng
        obs = _iri("observation", f"syn-{n}")
        part, start, members = rng.choice(self.partnerships)
        w.add(obs, RDF_TYPE, _akg("IndicatorObservation"))
        w.add(obs, LABEL, _text(f"Synthetic observation {n}"))
        w.add(obs, _akg("observesIndicator"), _akg(rng.choice(INDICATORS)))
        for actor in members[:2]:
            w.add(obs, _akg("concernsActor"), actor)
        w.add(obs, _akg("concernsPartnership"), part)
        w.add(obs, _akg("startDate"), _date(self.day(start)))
        w.add(obs, _akg("assessedTrend"), _akg(rng.choice(TRENDS)))
        w.add(obs, DERIVED, self.source())

    def run(self) -> None:
        # roughly 1 new state per 400 triples (historical states), 70% of the triples in partnerships
        self.items_once()
        diffusions = observations = 0
        while self.w.count < self.target:
            if len(self.states) < 197 + self.w.count // 400:
                self.new_state()
            self.partnership()
            for _ in range(self.rng.choice((0, 1, 1, 2))):
                self.diffusion(diffusions)
                diffusions += 1
            if self.rng.random() < 0.6:
                self.observation(observations)
                observations += 1


def generate(target: int, seed: int, data_dir: Path, with_shipped: bool = True) -> int:
    """Write `synthetic.nt` (about `target` triples) into data_dir, beside a copy of the shipped data.

    Returns the number of synthetic triples written. The same seed gives the same bytes."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if with_shipped:
        shipped = PROJECT_ROOT / "data"
        for path in shipped.rglob("*"):
            if path.is_file():
                copy = data_dir / path.relative_to(shipped)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, copy)
    target_file = data_dir / "synthetic.nt"
    part = target_file.with_name(target_file.name + ".part")
    with part.open("w", encoding="utf-8", buffering=1 << 20) as out:
        writer = _Writer(out)
        _Generator(target, seed, writer).run()
    part.replace(target_file)
    return writer.count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=parse_size, help="number of synthetic triples: 10k, 100k, 1M, 10M or a number")
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder; the data go into OUTPUT/data")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    count = generate(args.size, args.seed, args.output / "data")
    print(f"wrote {count} synthetic triples to {args.output / 'data' / 'synthetic.nt'}")


if __name__ == "__main__":
    main()
