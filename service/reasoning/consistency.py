"""Consistency by HermiT (on Java): is there a model of ontology plus data, and can every class have members?

Two questions, asked of HermiT (the one owlready2 bundles, called directly) in the cheapest way each allows,
both of one Java process (HermitServer.java, compiled at first use; without javac, HermiT's command line):
- consistency of ontology plus data: HermiT's own consistency test, which on the ATOP-sized graph
  (94k triples, 6,500 individuals) takes seconds, where owlready2's run, which also classifies and
  realises every individual, took six minutes. The data go as axioms, one a line: the OWL API's RDF
  parser took four times HermiT's test on them;
- unsatisfiable classes: HermiT's classification of the ontology modules alone. Once the data are known
  consistent they can make a class unsatisfiable only through a nominal, and the ontology's nominals
  (owl:hasValue akg:Informal) name individuals of the ontology modules themselves.
Java runs with the client compiler only: HermiT's runs last seconds, and the server compiler's threads
took the second core and doubled the CPU time (on the shipped graph 2.7 s instead of 3-10 s, by load).

HermiT knows only the OWL 2 datatype map, which lacks xsd:date and xsd:gYear: it is handed a view
of the graph in which dates are dateTimes and years are integers. Everything else goes as it is.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from service.store.fault_points import pause_at

JAVA_OPTIONS = ["-Xmx2000M", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]

HERMIT_DATATYPES_FIX = {
    XSD.date: lambda v: Literal(f"{v}T00:00:00", datatype=XSD.dateTime),
    XSD.gYear: lambda v: Literal(int(str(v)[:4]) if re.fullmatch(r"-?\d{4}", str(v)) else str(v),
                                 datatype=XSD.integer if re.fullmatch(r"-?\d{4}", str(v)) else XSD.string),
    XSD.gYearMonth: lambda v: Literal(str(v)),
}


class ReasonerUnavailable(RuntimeError):
    """Java or owlready2 missing: the check cannot be made, which is not the same as passing."""


@dataclass
class ConsistencyReport:
    consistent: bool
    unsatisfiable_classes: list[str] = field(default_factory=list)
    explanation: list[tuple[str, str, str]] = field(default_factory=list)  # the triples that clash
    seconds: float = 0.0
    runs: int = 0


def hermit_view(graph: Graph) -> bytes:
    """N-Triples of the graph with the datatypes HermiT rejects rewritten and imports dropped."""
    view = Graph()
    for s, p, o in graph:
        if p == OWL.imports:
            continue  # the loader has already merged the modules; owlready2 would try to fetch them
        if isinstance(o, Literal) and o.datatype in HERMIT_DATATYPES_FIX:
            o = HERMIT_DATATYPES_FIX[o.datatype](o)
        view.add((s, p, o))
    return view.serialize(format="nt", encoding="utf-8")


def logical_part(ontology: Graph, data: Graph) -> Graph:
    """The data statements a model can contradict: types, sameAs/differentFrom, and the ontology's
    object and datatype properties. Labels, comments, quotes and other annotations cannot clash."""
    predicates = logical_predicates(ontology)
    logical = Graph()
    for triple in data:
        if triple[1] in predicates:
            logical.add(triple)
    return logical


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ReasonerUnavailable("Java is not on PATH; HermiT needs a Java runtime (e.g. apt-get install default-jre-headless)")
    return java


def _hermit_classpath() -> str:
    spec = importlib.util.find_spec("owlready2")  # found, not imported: owlready2's import costs a second
    if spec is None or spec.origin is None:
        raise ReasonerUnavailable("owlready2 (which bundles HermiT) is not installed")
    folder = Path(spec.origin).parent / "hermit"
    return f"{folder}:{folder / 'HermiT.jar'}"


def _hermit(options: list[str], ntriples: bytes) -> subprocess.CompletedProcess:
    with tempfile.NamedTemporaryFile(suffix=".nt") as handle:
        handle.write(ntriples)
        handle.flush()
        return subprocess.run([_java(), *JAVA_OPTIONS, "-cp", _hermit_classpath(),
                               "org.semanticweb.HermiT.cli.CommandLine", *options, "file://" + handle.name],
                              capture_output=True, text=True)


def _unsatisfiable_classes(ntriples: bytes) -> tuple[bool, list[str]]:
    """Whether the ontology is consistent, and its unsatisfiable named classes (HermiT's -U)."""
    run = _hermit(["-U", "-N"], ntriples)
    if "InconsistentOntologyException" in run.stderr:
        return False, []
    if run.returncode != 0:
        raise ReasonerUnavailable(f"HermiT failed: {run.stderr.strip()[:2000]}")
    listed = [line.strip() for line in run.stdout.splitlines() if line.startswith(("\t", " "))]
    return True, sorted(c for c in listed if c and c != str(OWL.Nothing))


def _hermit_consistent(ntriples: bytes) -> bool:
    """HermiT's consistency test alone. The explanation search asks this question dozens of times;
    skipping owlready2's quadstore round trip and HermiT's classification makes each run several
    times faster."""
    run = _hermit(["-k"], ntriples)
    if run.returncode == 0:
        return True
    if "InconsistentOntologyException" in run.stderr:
        return False
    raise ReasonerUnavailable(f"HermiT failed: {run.stderr.strip()[:2000]}")


class ResidentHermit:
    """HermiT kept warm in one Java process (HermitServer.java beside this module) for the write guard's
    many small questions: 60-120 ms each, where a new JVM takes one to two seconds. Compiled with javac
    at first use into ~/.cache/alliance-kg (XDG_CACHE_HOME); without javac, each question starts a JVM as before. The process
    ends when this one closes its input (so also when this process dies)."""

    SOURCE = Path(__file__).with_name("HermitServer.java")
    ANSWER_SECONDS = 300

    def __init__(self):
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._tbox: bytes | None = None

    def _classes(self) -> Path | None:
        javac = shutil.which("javac")
        if javac is None:
            return None
        source = self.SOURCE.read_bytes()
        # a cache, kept between runs as pip's is, not a temporary file a stopped server leaves behind
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alliance-kg"
        folder = cache / f"hermit-{hashlib.sha256(source).hexdigest()[:16]}"
        if not (folder / "HermitServer.class").exists():
            cache.mkdir(parents=True, exist_ok=True)
            building = Path(tempfile.mkdtemp(prefix="hermit-building-", dir=cache))
            run = subprocess.run([javac, "-cp", _hermit_classpath(), "-d", str(building), str(self.SOURCE)],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                raise ReasonerUnavailable(f"javac failed on {self.SOURCE.name}: {run.stderr.strip()[:2000]}")
            try:
                building.rename(folder)
            except OSError:  # made meanwhile by another process
                shutil.rmtree(building, ignore_errors=True)
        return folder

    def consistent(self, ntriples: bytes) -> bool:
        """Whether ontology and data (N-Triples of both) are consistent."""
        with self._lock:
            if not self._running():
                return _hermit_consistent(ntriples)
            return self._ask("", ntriples)

    def hold_tbox(self, view: bytes) -> None:
        """Parse the ontology (its HermiT view) once, for the consistent_abox questions that follow."""
        with self._lock:
            self._tbox = view
            was_running = self._process is not None and self._process.poll() is None
            if self._running() and was_running:  # a process started now has been sent it already
                self._send_tbox()

    def classify(self) -> tuple[bool, list[str]]:
        """Whether the held ontology alone is consistent, and its unsatisfiable named classes (HermiT's -U)."""
        with self._lock:
            if not self._running():
                return _unsatisfiable_classes(self._tbox)
            return self._classify()

    def _classify(self) -> tuple[bool, list[str]]:
        self._process.stdin.write("classify\n")
        self._process.stdin.flush()
        answer = self._answer()
        if answer == "inconsistent":
            return False, []
        if answer.split(" ")[0] == "unsatisfiable":
            return True, sorted(c for c in answer.split(" ")[1:] if c and c != str(OWL.Nothing))
        self._close()
        raise ReasonerUnavailable(f"HermiT failed: {answer or 'no answer'}"[:2000])

    def _answer(self) -> str:
        ready, _, _ = select.select([self._process.stdout], [], [], self.ANSWER_SECONDS)
        return self._process.stdout.readline().strip() if ready else ""

    def consistent_abox(self, triples, lines: bytes | None = None) -> bool:
        """Whether the held ontology and these data statements (logical ones: types, sameAs, differentFrom,
        object and datatype property values; pyoxigraph triples) are consistent. The statements go as
        axioms, one a line, instead of N-Triples through the OWL API's RDF consumer: on a write's
        neighbourhood (about 9,000 statements) that parse cost several times HermiT's own test.
        `lines`: the statements already written so (axiom_lines)."""
        lines = axiom_lines(triples) if lines is None else lines
        with self._lock:
            if not self._running():
                return _hermit_consistent(self._tbox + _ntriples(triples))
            return self._ask("abox ", lines)

    def _running(self) -> bool:
        """Start the Java process if it is not running; False where it cannot be (no javac)."""
        if self._process is not None and self._process.poll() is None:
            return True
        classes = self._classes()
        if classes is None:
            return False
        self._process = subprocess.Popen(
            [_java(), *JAVA_OPTIONS, "-cp", f"{_hermit_classpath()}:{classes}", "HermitServer"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if self._tbox is not None:
            self._send_tbox()
        return True

    def _send_tbox(self) -> None:
        if self._ask("tbox ", self._tbox, answers=("ok",)) is not True:
            raise ReasonerUnavailable("HermiT could not read the ontology")

    def _ask(self, command: str, content: bytes, answers=("consistent", "inconsistent")) -> bool:
        # a file without a name where the system allows it, which Java reads through this process's
        # descriptor: a server killed mid-question (kill -9) leaves no file behind
        unnamed = Path(f"/proc/{os.getpid()}/fd").is_dir()
        with (tempfile.TemporaryFile() if unnamed else tempfile.NamedTemporaryFile(suffix=".nt")) as handle:
            handle.write(content)
            handle.flush()
            name = f"/proc/{os.getpid()}/fd/{handle.fileno()}" if unnamed else handle.name
            self._process.stdin.write(command + name + "\n")
            self._process.stdin.flush()
            pause_at("hermit")
            answer = self._answer()
        if answer in answers:
            return answer == answers[0]
        self._close()
        raise ReasonerUnavailable(f"HermiT failed: {answer or 'no answer'}"[:2000])

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def logical_predicates(ontology: Graph) -> set:
    """The predicates of data statements a model can contradict (see logical_part)."""
    predicates = {RDF.type, OWL.sameAs, OWL.differentFrom}
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        predicates.update(ontology.subjects(RDF.type, kind))
    return predicates


@dataclass
class StoredData:
    """The data as a store holds them (these graphs, plus a few statements computed beside them),
    handed to HermiT as N-Triples straight from the store: no rdflib graph of the whole data."""
    store: object
    graphs: list[str]
    extra: list[ox.Triple] = field(default_factory=list)

    def triples(self, predicates: set) -> list[ox.Triple]:
        """The statements of these predicates (each once), the extra ones among them included."""
        values = " ".join(f"<{p}>" for p in sorted(predicates))
        found = self.store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o }}",
                                 default_graphs=self.graphs).triples()
        keep = {ox.NamedNode(str(p)) for p in predicates}
        return list(found) + [t for t in self.extra if t.predicate in keep]

    def ntriples(self, predicates: set) -> bytes:
        return _ntriples(self.triples(predicates))

    def graph(self) -> Graph:
        from service.store.oxigraph import to_rdflib  # the store layer, below this one
        graph = to_rdflib(self.store, self.graphs)
        for t in self.extra:
            graph.add((URIRef(t.subject.value), URIRef(t.predicate.value), Literal(t.object.value, datatype=URIRef(t.object.datatype.value))))
        return graph


_FOUR_DIGITS = re.compile(r"-?\d{4}")


def _hermit_triple(triple: ox.Triple) -> ox.Triple:
    """The triple with a literal of a datatype HermiT rejects rewritten as hermit_view does."""
    o = triple.object
    if not isinstance(o, ox.Literal) or o.datatype.value not in _OX_FIX:
        return triple
    return ox.Triple(triple.subject, triple.predicate, _OX_FIX[o.datatype.value](o.value))


_SAME, _DIFFERENT, _TYPE = str(OWL.sameAs), str(OWL.differentFrom), str(RDF.type)


def axiom_lines(triples) -> bytes:
    return "".join(_axiom_line(t) for t in triples).encode()


def _axiom_line(triple: ox.Triple) -> str:
    """One data statement in HermitServer's abox form (its datatypes made HermiT's, as hermit_view does)."""
    fixed = _hermit_triple(triple)
    s, p, o = fixed.subject, fixed.predicate, fixed.object
    subject = _individual(s)
    if p.value == _TYPE:
        return f"C\t{subject}\t{o.value}\n" if isinstance(o, ox.NamedNode) else ""
    if p.value in (_SAME, _DIFFERENT):
        return f"{'S' if p.value == _SAME else 'F'}\t{subject}\t{_individual(o)}\n"
    if isinstance(o, ox.Literal):
        lexical = o.value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        kind = f"@{o.language}" if o.language else o.datatype.value
        return f"D\t{p.value}\t{subject}\t{lexical}\t{kind}\n"
    return f"O\t{p.value}\t{subject}\t{_individual(o)}\n"


def _individual(term) -> str:
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else term.value


def _ntriples(triples) -> bytes:
    return ox.serialize([_hermit_triple(t) for t in triples], format=ox.RdfFormat.N_TRIPLES)


def _xsd(name: str) -> ox.NamedNode:
    return ox.NamedNode(str(XSD[name]))


_OX_FIX = {
    str(XSD.date): lambda v: ox.Literal(f"{v}T00:00:00", datatype=_xsd("dateTime")),
    str(XSD.gYear): lambda v: (ox.Literal(str(int(v[:4])), datatype=_xsd("integer")) if _FOUR_DIGITS.fullmatch(v)
                               else ox.Literal(v)),
    str(XSD.gYearMonth): lambda v: ox.Literal(v),
}


@dataclass
class TBox:
    """The ontology alone: its HermiT view, whether it is consistent and its unsatisfiable classes."""
    view: bytes
    consistent: bool
    unsatisfiable: list[str]

    @classmethod
    def of(cls, ontology: Graph, hermit: "ResidentHermit | None" = None) -> "TBox":
        """Asked of `hermit` (which then holds the ontology for its abox questions), else of a new JVM."""
        return cls.of_view(hermit_view(ontology), hermit)

    @classmethod
    def of_view(cls, view: bytes, hermit: "ResidentHermit | None" = None) -> "TBox":
        if hermit is None:
            return cls(view, *_unsatisfiable_classes(view))
        hermit.hold_tbox(view)
        return cls(view, *hermit.classify())


def check_consistency(ontology: Graph, data: Graph | StoredData, explain: bool = True,
                      suspects: set | None = None, tbox: "TBox | None" = None,
                      consistent: Callable[[bytes], bool] | None = None) -> ConsistencyReport:
    """HermiT over ontology plus data; when they clash, cut the data down to a small clashing core.
    `suspects` (subjects of newly added statements) are tried first, with their neighbours. `tbox`:
    what is known of the ontology alone already (it is asked once otherwise); `consistent`: who answers
    each question (by default one HermiT process for this check, given the ontology once and the data as
    axioms: see ResidentHermit)."""
    return prepare_consistency(ontology, data, explain, suspects, tbox, consistent)()


def prepare_consistency(ontology: Graph, data: Graph | StoredData, explain: bool = True,
                        suspects: set | None = None, tbox: "TBox | None" = None,
                        consistent: Callable[[bytes], bool] | None = None) -> Callable[[], ConsistencyReport]:
    """check_consistency in two steps: what takes Python (the ontology's HermiT view, the data as axioms)
    now, in the caller's thread; then the returned call, which waits for HermiT (Java). Run in a thread
    beside other Python work (pySHACL, in `alliance-kg check`), the first step would wait for the GIL
    at every turn: prepared before, only the wait overlaps."""
    view = tbox.view if tbox else hermit_view(ontology)
    triples = lines = None
    if isinstance(data, StoredData):
        stored = data
        logical: Callable[[], Graph] = lambda: logical_part(ontology, stored.graph())  # noqa: E731
        everything = lambda: view + stored.ntriples(logical_predicates(ontology))  # noqa: E731
        if consistent is None:
            triples = stored.triples(logical_predicates(ontology))
            lines = axiom_lines(triples)
    else:
        data = logical_part(ontology, data)
        logical = lambda: data  # noqa: E731
        everything = lambda: hermit_view(ontology + data)  # noqa: E731

    def ask() -> ConsistencyReport:
        started = time.perf_counter()
        # without a `consistent` given: one HermiT for every question of this check, holding the ontology
        warm = ResidentHermit() if consistent is None else None
        try:
            known = tbox
            if known is None:
                known = TBox.of_view(view, warm)
            elif warm is not None:
                warm.hold_tbox(view)
            question = consistent or warm.consistent
            if not known.consistent:
                holds = False
            elif lines is not None:  # the data as axioms, not N-Triples to parse
                holds = warm.consistent_abox(triples, lines)
            else:
                holds = question(everything())
            report = ConsistencyReport(holds, known.unsatisfiable, runs=2 if known.consistent else 1)
            if not holds and explain:  # dozens of questions, asked of the same HermiT
                core, runs = _clashing_core(ontology, logical(), suspects or set(), question)
                report.explanation = sorted((str(s), str(p), str(o)) for s, p, o in core)
                report.runs += runs
        finally:
            if warm is not None:
                warm.close()
        report.seconds = time.perf_counter() - started
        return report

    return ask


def _clashing_core(ontology: Graph, data: Graph, suspects: set,
                   consistent: Callable[[bytes], bool] = None) -> tuple[Graph, int]:
    """A small set of data triples that, with the ontology, HermiT still finds inconsistent: a minimal
    set of the data's subjects, then a minimal set of those subjects' statements."""
    runs = 0

    def clashes(triples) -> bool:
        nonlocal runs
        runs += 1
        subset = Graph()
        for triple in triples:
            subset.add(triple)
        return not (consistent or _hermit_consistent)(hermit_view(ontology + subset))

    if clashes([]):
        return Graph(), runs  # the ontology alone is inconsistent
    groups: dict = {}
    for triple in data:
        groups.setdefault(triple[0], []).append(triple)
    def clashes_with(chosen) -> bool:
        return clashes(t for s in chosen for t in groups[s])

    candidates = sorted(groups, key=str)
    if suspects:
        # the suspects, what they point at and what points at them: most clashes lie within this
        near = set(suspects) | {o for s in suspects for _, _, o in groups.get(s, ()) if o in groups}
        near |= {s for s, triples in groups.items() if any(o in suspects for _, _, o in triples)}
        nearby = sorted(near & set(groups), key=str)
        alone = sorted(set(suspects) & set(groups), key=str)
        if alone and clashes_with(alone):
            candidates = alone
        elif nearby and clashes_with(nearby):
            candidates = nearby
    subjects = _minimal(candidates, clashes_with)
    # then statements: first by (subject, property), as one hub can carry dozens of alike links
    bundles: dict = {}
    for triple in sorted((t for s in subjects for t in groups[s]), key=str):
        bundles.setdefault(triple[:2] if triple[1] != RDF.type else triple, []).append(triple)
    chosen = _minimal(list(bundles.values()), lambda picked: clashes(t for b in picked for t in b))
    triples = _minimal([t for b in chosen for t in b], clashes)
    core = Graph()
    for triple in triples:
        core.add(triple)
    return core, runs


def _minimal(items: list, failing, base: tuple = ()) -> list:
    """A minimal sublist S of `items` with failing(base + S), by halving (after Junker's QuickXplain):
    about 2k·log2(n) tests for k culprits among n items, where one-at-a-time would take n."""
    if not items or failing(list(base)):
        return []
    if len(items) == 1:
        return list(items)
    half = len(items) // 2
    first, second = items[:half], items[half:]
    if failing(list(base) + first):
        return _minimal(first, failing, base)
    if failing(list(base) + second):
        return _minimal(second, failing, base)
    needed_first = _minimal(first, failing, tuple(base) + tuple(second))
    needed_second = _minimal(second, failing, tuple(base) + tuple(needed_first))
    return needed_first + needed_second
