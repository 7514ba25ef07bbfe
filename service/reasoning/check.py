"""`alliance-kg check`: the graph loads, HermiT finds it consistent, and the data keep the shapes."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import XSD

from service.reasoning import entailment
from service import iris
from service.store import loader
from service.reasoning.consistency import ConsistencyReport, StoredData, prepare_consistency
from service.reasoning.profile import ProfileViolation, check_profile
from service.store.oxigraph import Store, open_store, rdflib_triples, to_rdflib
from service.reasoning.validation import Violation, shape_predicates, validate

SHAPES_FILE = "shapes.ttl"


@dataclass
class CheckReport:
    files: list[Path] = field(default_factory=list)
    load_error: loader.LoadError | None = None
    consistency: ConsistencyReport | None = None
    violations: list[Violation] = field(default_factory=list)
    profile: list[ProfileViolation] = field(default_factory=list)
    graph_files: dict[str, str] = field(default_factory=dict)  # focus node -> file(s) that state it
    source: str = ""  # what was checked, when it is not files (the served store)

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "Violation"]

    @property
    def ok(self) -> bool:
        return (self.load_error is None and self.consistency is not None and self.consistency.consistent
                and not self.consistency.unsatisfiable_classes and not self.errors and not self.profile)

    def as_dict(self) -> dict:
        c = self.consistency
        return {
            "ok": self.ok,
            "files": [str(p) for p in self.files],
            "load_error": str(self.load_error) if self.load_error else None,
            "consistency": None if c is None else {
                "consistent": c.consistent, "unsatisfiable_classes": c.unsatisfiable_classes,
                "explanation": [list(t) for t in c.explanation], "seconds": round(c.seconds, 2),
                "reasoner_runs": c.runs},
            "owl2_dl": [v.as_dict() for v in self.profile],
            "shapes": [dict(v.as_dict(), file=self.graph_files.get(v.focus)) for v in self.violations],
        }

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def as_text(self) -> str:
        if self.load_error:
            return "\n".join(self.load_lines()) + "\n"
        lines = (self.load_lines() + self.profile_lines() + self.consistency_lines() + self.shapes_lines()
                 + ["PASS" if self.ok else "FAIL"])
        return "\n".join(lines) + "\n"

    # One method per stage, so that a caller can print each stage as it finishes.
    def load_lines(self) -> list[str]:
        if self.load_error:
            return [f"FAIL  load: {self.load_error}"]
        return [f"ok    load: {len(self.files)} files" if self.files else f"ok    load: {self.source}"]

    def profile_lines(self) -> list[str]:
        if not self.profile:
            return ["ok    OWL 2 DL: no illegal punning, undeclared property or misplaced non-simple property"]
        lines = []
        for v in self.profile:
            where = f" [{self.graph_files[v.subject]}]" if v.subject in self.graph_files else ""
            lines.append(f"FAIL  OWL 2 DL, {v.rule}: <{v.subject}>{where}: {v.detail}")
        return lines

    def consistency_lines(self) -> list[str]:
        lines = []
        c = self.consistency
        if c.consistent:
            lines.append(f"ok    consistency: HermiT finds ontology and data consistent ({c.seconds:.1f} s)")
        else:
            lines.append(f"FAIL  consistency: HermiT finds ontology and data inconsistent ({c.seconds:.1f} s, "
                         f"{c.runs} reasoner runs to explain)")
            if c.explanation:
                lines.append("      these statements clash (remove any one and the clash goes):")
                lines += [f"        <{s}> <{p}> {_show(o)}" for s, p, o in c.explanation]
                subjects = sorted({s for s, _, _ in c.explanation})
                for subject in subjects:
                    if subject in self.graph_files:
                        lines.append(f"      <{subject}> is stated in {self.graph_files[subject]}")
            else:
                lines.append("      the ontology alone is inconsistent")
        for cls in c.unsatisfiable_classes:
            lines.append(f"FAIL  unsatisfiable class: <{cls}> can have no members")
        return lines

    def shapes_lines(self) -> list[str]:
        errors, others = self.errors, [v for v in self.violations if v.severity != "Violation"]
        lines = [("ok    shapes: the data keep every rule" if not errors
                  else f"FAIL  shapes: {len(errors)} violations") + (f" ({len(others)} warnings)" if others else "")]
        for v in self.violations:
            where = f" [{self.graph_files[v.focus]}]" if v.focus in self.graph_files else ""
            path = f" {_short(v.path)}" if v.path else ""
            value = f" = {v.value}" if v.value else ""
            lines.append(f"      {v.severity}: <{v.focus}>{path}{value}{where}: {v.message} "
                         f"(rule {_short(v.shape)}, {v.constraint}; fix: {v.fix})")
        return lines


Progress = Callable[[list[str]], None]  # told each stage's report lines as the stage finishes


def _quiet(lines: list[str]) -> None:
    pass


def _short(iri: str) -> str:
    compact = iris.compact(iri)
    if compact != iri:
        return compact
    if iri.startswith("https://w3id.org/alliance-kg/shapes#"):
        return "shapes:" + iri.split("#", 1)[1]
    return iri if not iri.startswith(("http", "urn")) else f"<{iri}>"


def _show(term: str) -> str:
    return f"<{term}>" if term.startswith(("http://", "https://", "urn:")) else f'"{term}"'


def run_check(config: dict, extra_files: list[Path] = (), explain: bool = True,
              progress: Progress = _quiet) -> CheckReport:
    """Check ontology/ and data/ (and extra files, checked with them, never loaded into the service)."""
    report = CheckReport()
    try:
        sources = loader.source_files(config["ONTOLOGY_DIR"], config["DATA_DIR"])
        sources += [loader.SourceFile(Path(p), iris.data_graph(f"extra/{Path(p).stem}")) for p in extra_files]
        report.files = [s.path for s in sources]
        store = open_store("oxigraph")
        store.add_quads(loader.read_all(sources))
        shapes = Graph().parse(str(config["ONTOLOGY_DIR"] / SHAPES_FILE), format="turtle")
    except loader.LoadError as error:
        report.load_error = error
        progress(report.load_lines())
        return report
    except Exception as error:  # rdflib's own parse error for the shapes file
        report.load_error = loader.LoadError(config["ONTOLOGY_DIR"] / SHAPES_FILE, str(error))
        progress(report.load_lines())
        return report
    extra_graphs = [s.graph for s in sources if s.graph.startswith(iris.data_graph("extra/"))]
    return check_store(store, shapes, {s.graph: str(s.path) for s in sources}, extra_graphs, explain, report, progress)


def check_store(store: Store, shapes: Graph, file_of: dict[str, str] | None = None,
                suspect_graphs: list[str] = (), explain: bool = True,
                report: CheckReport | None = None, progress: Progress = _quiet) -> CheckReport:
    """HermiT and SHACL over what a store holds (its entailments are recomputed first).
    `file_of` maps named graphs to the files they came from, so the report can say where;
    statements in `suspect_graphs` are suspected first when explaining a clash.

    HermiT (Java, in a subprocess) runs while pySHACL (Python) validates: on two cores the check
    takes the longer of the two, not their sum. Each stage is told to `progress` as it finishes,
    in the report's order (consistency before shapes)."""
    report = report or CheckReport()
    file_of = file_of or {}
    graphs = [g for g in store.graphs() if g != iris.ENTAILMENTS_GRAPH]
    if not report.files:
        report.source = f"the store's {len(store)} quads in {len(graphs)} named graphs"
    progress(report.load_lines())
    for row in store.query("SELECT DISTINCT ?s ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) }").rows():
        if row["g"].value in file_of:
            subject = row["s"].value
            files = report.graph_files.get(subject)
            where = file_of[row["g"].value]
            report.graph_files[subject] = where if not files else f"{files}, {where}"

    ontology_graphs = [g for g in graphs if g.startswith(iris.GRAPH + "ontology/")]
    data_graphs = [g for g in graphs if g not in ontology_graphs] + [""]  # "" is the default graph
    ontology = to_rdflib(store, ontology_graphs)
    report.profile = check_profile(ontology, rdflib_triples(store, data_graphs))
    progress(report.profile_lines())
    # the member counts are the project's own rule: HermiT gets them to judge asserted size classes
    counts = [ox.Triple(s, p, ox.Literal(o.value, datatype=ox.NamedNode(str(XSD.integer))))
              for s, p, o in entailment.materialise(store).member_counts]
    suspects = set(to_rdflib(store, list(suspect_graphs)).subjects()) if suspect_graphs else None
    failed: list[BaseException] = []

    consistency = prepare_consistency(ontology, StoredData(store, data_graphs, counts), explain=explain,
                                      suspects=suspects)

    def consistency_stage() -> None:
        try:
            report.consistency = consistency()
        except BaseException as failure:  # noqa: BLE001 - raised again in the caller's thread
            failed.append(failure)
        else:
            progress(report.consistency_lines())

    hermit = threading.Thread(target=consistency_stage, name="HermiT", daemon=True)
    hermit.start()
    # pySHACL validates ontology, data and entailments together: the statements the shapes can look at
    violations = validate(to_rdflib(store, store.graphs() + [""], shape_predicates(shapes)), shapes)
    hermit.join()
    if failed:
        raise failed[0]
    report.violations = violations
    progress(report.shapes_lines())
    return report
