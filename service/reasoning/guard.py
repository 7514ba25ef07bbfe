"""The write guard at the cost of the change: what a change's added and removed statements can affect,
checked as `alliance-kg check` would check the whole graph (as RDF4J's ShaclSail validates a transaction).

The guard holds the graph as committed (asserted statements and entailments) in memory with its
materialisation, and starts from a graph that passed the full check (it runs that once, at its first
write; a graph that fails it is checked whole at every write). A change is applied to that copy and
judged by the statements it adds and removes:
- entailments: brought up to date incrementally (service.reasoning.incremental: forward for additions,
  delete-rederive for removals), equal to a recomputation;
- OWL 2 DL profile: the added statements against the ontology's declarations (the whole data again when
  a change declares a property or class, or adds a restriction);
- SHACL: pySHACL on the focus nodes the change can affect (the subjects of changed statements, asserted
  or entailed, whose predicate a shape looks at, and the nodes that reach them in up to three steps along
  the shapes' paths), over those nodes' statements (three steps out along the paths, with every node's
  types and the class hierarchy): the results of every other node are those of the previous check;
- consistency: nothing to ask when the change adds no logical statement (types, sameAs/differentFrom,
  the ontology's object and datatype properties, asserted or entailed): removing statements cannot make
  a consistent graph inconsistent. Otherwise HermiT on the ontology with the logical statements about
  the individuals of the added statements and their neighbours (one link either way), asked of a HermiT
  kept warm in one Java process (consistency.ResidentHermit), whose answer is awaited while pySHACL runs.
A change the guard refuses is taken back from the copy; nothing reaches the store.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF, RDFS, SH

from service import iris
from service.reasoning.check import CheckReport, check_store
from service.reasoning.consistency import (ConsistencyReport, ResidentHermit, StoredData, TBox, axiom_lines,
                                           check_consistency, logical_predicates)
from service.reasoning.incremental import Materialisation, entailment_quads
from service.reasoning.profile import SCHEMA_PREDICATES, SCHEMA_TYPES, check_profile, property_kinds, statement_violations
from service.reasoning.validation import shape_predicates, validate
from service.store.oxigraph import OxigraphStore, rdflib_triples, to_rdflib

ENTAILMENTS = ox.NamedNode(iris.ENTAILMENTS_GRAPH)
SHAPE_DEPTH = 3  # the longest path of the shapes (prov:wasDerivedFrom/dcterms:isPartOf/dcterms:issued)
TYPE, SUBCLASS = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDFS.subClassOf))


@dataclass
class Change:
    added: set = field(default_factory=set)      # asserted quads
    removed: set = field(default_factory=set)
    graphs_added: set = field(default_factory=set)
    graphs_removed: set = field(default_factory=set)
    entailments_written: bool = False
    entailed_added: set = field(default_factory=set)   # triples
    entailed_removed: set = field(default_factory=set)

    @property
    def changed_graphs(self) -> list[str]:
        named = {q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else "" for q in self.added | self.removed}
        return sorted((named | self.graphs_added | self.graphs_removed) - {iris.ENTAILMENTS_GRAPH})


class Guard:
    def __init__(self, quads, graphs, shapes: Graph):
        self.copy = OxigraphStore()
        self.copy.add_quads(quads)
        for graph in graphs:
            self.copy.add_graph(graph)
        self.shapes = shapes
        self.materialisation = Materialisation(self.copy)
        graphs_now = self.copy.graphs()
        self.ontology = to_rdflib(self.copy, [g for g in graphs_now if g.startswith(iris.GRAPH + "ontology/")])
        self.logical = {ox.NamedNode(str(p)) for p in logical_predicates(self.ontology)}
        self.hermit = ResidentHermit()
        # writes cannot change the ontology: the resident HermiT is compiled, started, given it and asked its
        # unsatisfiable classes now, not at the first write (and no second JVM parses it for that)
        self.tbox = TBox.of(self.ontology, self.hermit)
        self.kinds = property_kinds(self.ontology)
        predicates = shape_predicates(shapes)
        self.shape_predicates = None if predicates is None else {ox.NamedNode(p) for p in predicates}
        self.paths = None if predicates is None else self.shape_predicates - {TYPE, SUBCLASS}
        # shapes that target the values of a property (a source: any object of prov:wasDerivedFrom)
        self.object_targets = {ox.NamedNode(str(p)) for p in shapes.objects(None, SH.targetObjectsOf)}
        self.baseline_ok = self._full_check().ok

    def close(self) -> None:
        self.hermit.close()

    def _full_check(self) -> CheckReport:
        scratch = OxigraphStore()
        scratch.add_quads(q for q in self.copy.quads() if q.graph_name != ENTAILMENTS)
        return check_store(scratch, self.shapes)

    # the change, applied and taken back
    def apply(self, change, graphs: set[str] | None = None) -> tuple[object, Change]:
        """Run `change` on the copy; what it added and removed. `graphs`: the only graphs it can alter
        (writes.graphs_an_update_may_change), which alone are compared before and after; None: the whole
        copy is (its N-Quads dump: at 1M quads, seconds). The entailments graph is left as it was
        (anything written into it is reported, and taken back)."""
        graphs_before = set(self.copy.graphs())
        watched = None if graphs is None else [ox.NamedNode(g) if g else ox.DefaultGraph() for g in sorted(graphs)]
        before = self._state(watched)
        try:
            outcome = change(self.copy)
        except BaseException:
            self.take_back(self._found(graphs_before, watched, before))
            raise
        return outcome, self._found(graphs_before, watched, before)

    def _state(self, watched):
        if watched is None:  # as N-Quads lines: comparing the engine's dump is twice as fast as quad objects
            return set(self.copy._store.dump(format=ox.RdfFormat.N_QUADS).split(b"\n")) - {b""}
        return {q for graph in watched for q in self.copy._store.quads_for_pattern(None, None, None, graph)}

    def _found(self, graphs_before: set, watched, before: set) -> Change:
        now = self._state(watched)
        added, removed = now - before, before - now
        if watched is None:
            added, removed = _quads(added), _quads(removed)
        found = Change(added=added, removed=removed,
                       graphs_added=set(self.copy.graphs()) - graphs_before,
                       graphs_removed=graphs_before - set(self.copy.graphs()))
        written = {q for q in found.added if q.graph_name == ENTAILMENTS}
        restored = {q for q in found.removed if q.graph_name == ENTAILMENTS}
        found.entailments_written = bool(written)
        found.added -= written
        found.removed -= restored
        store = self.copy._store
        for quad in written:
            store.remove(quad)
        store.extend(restored)
        self.copy.add_graph(iris.ENTAILMENTS_GRAPH)
        found.graphs_added.discard(iris.ENTAILMENTS_GRAPH)
        found.graphs_removed.discard(iris.ENTAILMENTS_GRAPH)
        return found

    def reason(self, found: Change) -> None:
        """Bring the entailments of the copy up to date with the change."""
        triples = lambda quads: {ox.Triple(q.subject, q.predicate, q.object) for q in quads}  # noqa: E731
        gone = {t for t in triples(found.removed) if not self._asserted(t)}
        found.entailed_added, found.entailed_removed = self.materialisation.change(triples(found.added), gone)
        self._swap(entailment_quads(found.entailed_removed), entailment_quads(found.entailed_added))

    def take_back(self, found: Change) -> None:
        """Return the copy (and its materialisation) to the graph before the change."""
        self._swap(entailment_quads(found.entailed_added), entailment_quads(found.entailed_removed))
        self._swap(found.added, found.removed)
        for graph in found.graphs_added:
            self.copy.remove_graph(graph)
        for graph in found.graphs_removed:
            self.copy.add_graph(graph)
        triples = lambda quads: {ox.Triple(q.subject, q.predicate, q.object) for q in quads}  # noqa: E731
        gone = {t for t in triples(found.added) if not self._asserted(t)}
        self.materialisation.change(triples(found.removed), gone)

    def _swap(self, out, into) -> None:
        store = self.copy._store
        for quad in out:
            store.remove(quad)
        store.extend(into)

    def _asserted(self, triple: ox.Triple) -> bool:
        return any(q.graph_name != ENTAILMENTS for q in
                   self.copy._store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None))

    # the check
    def check(self, found: Change) -> CheckReport:
        if not self.baseline_ok:
            return self._full_check()
        report = CheckReport(source=f"the change: {len(found.added)} statements added, {len(found.removed)} removed")
        report.profile = self._profile(found)
        # HermiT's question is made here; its answer (Java) is awaited while pySHACL (Python) runs
        ask, answer = self._consistency(found), {}

        def consistency() -> None:
            try:
                answer["report"] = ask()
            except BaseException as failure:  # noqa: BLE001 - raised again in this thread
                answer["failure"] = failure
        hermit = threading.Thread(target=consistency, name="guard-HermiT", daemon=True)
        hermit.start()
        try:
            report.violations = self._shapes(found)
        finally:
            hermit.join()
        if "failure" in answer:
            raise answer["failure"]
        report.consistency = answer["report"]
        return report

    def _profile(self, found: Change):
        schema = any((q.predicate == TYPE and q.object.value in {str(t) for t in SCHEMA_TYPES})
                     or q.predicate.value in {str(p) for p in SCHEMA_PREDICATES} for q in found.added | found.removed)
        data_graphs = [g for g in self.copy.graphs() if not g.startswith(iris.GRAPH + "ontology/")
                       and g != iris.ENTAILMENTS_GRAPH] + [""]
        if schema:
            return check_profile(self.ontology, rdflib_triples(self.copy, data_graphs))
        added = OxigraphStore()
        added.add_quads(ox.Quad(q.subject, q.predicate, q.object) for q in found.added)
        return statement_violations(self.kinds, rdflib_triples(added, [""]))

    def _consistency(self, found: Change) -> Callable[[], ConsistencyReport]:
        """The consistency question about the change, made now; the call that asks it."""
        added = [(q.subject, q.predicate, q.object) for q in found.added]
        added += [(t.subject, t.predicate, t.object) for t in found.entailed_added]
        logical = [t for t in added if t[1] in self.logical]
        if not logical:
            return lambda: ConsistencyReport(True)
        # individuals, not the classes that rdf:type names
        individuals = {t[0] for t in logical} | {t[2] for t in logical if t[1] != TYPE and not isinstance(t[2], ox.Literal)}
        store = self.copy._store
        near = set(individuals)
        for node in individuals:
            near |= {q.object for q in store.quads_for_pattern(node, None, None, None)
                     if q.predicate in self.logical and q.predicate != TYPE and not isinstance(q.object, ox.Literal)}
            near |= {q.subject for q in store.quads_for_pattern(None, None, node, None)
                     if q.predicate in self.logical and q.predicate != TYPE}
        near_statements = [ox.Triple(q.subject, q.predicate, q.object) for node in near
                           for q in store.quads_for_pattern(node, None, None, None)
                           if q.predicate in self.logical and q.graph_name != ENTAILMENTS]
        counts = [ox.Triple(q.subject, q.predicate, q.object) for node in near
                  for q in store.quads_for_pattern(node, ox.NamedNode(iris.AKG + "memberCount"), None, ENTAILMENTS)]
        statements = set(near_statements + counts)
        lines = axiom_lines(statements)

        def ask() -> ConsistencyReport:
            if self.tbox.consistent and self.hermit.consistent_abox(statements, lines):
                return ConsistencyReport(True, self.tbox.unsatisfiable, runs=1)
            # a clash: the full check's question again, with its explanation (the clashing statements)
            module = OxigraphStore()
            module.add_quads(ox.Quad(t.subject, t.predicate, t.object) for t in near_statements)
            suspects = {_rdflib(t[0]) for t in added}
            return check_consistency(self.ontology, StoredData(module, [""], counts), suspects=suspects,
                                     tbox=self.tbox, consistent=self.hermit.consistent)
        return ask

    def _shapes(self, found: Change):
        store = self.copy._store
        changed = [(q.subject, q.predicate) for q in found.added | found.removed]
        changed += [(t.subject, t.predicate) for t in found.entailed_added | found.entailed_removed]
        wanted = self.shape_predicates
        focus = {s for s, p in changed if wanted is None or p in wanted}
        # a value newly given to a targeted property becomes a focus node itself (a source without a
        # title); a literal there is checked alone below, since pySHACL takes only IRIs as focus nodes
        valued = [(q.subject, q.predicate, q.object) for q in found.added if q.predicate in self.object_targets]
        valued += [(t.subject, t.predicate, t.object) for t in found.entailed_added if t.predicate in self.object_targets]
        focus |= {o for _s, _p, o in valued if not isinstance(o, ox.Literal)}
        literals = [t for t in valued if isinstance(t[2], ox.Literal)]
        frontier = set(focus)
        for _ in range(SHAPE_DEPTH):
            frontier = {q.subject for node in frontier for q in store.quads_for_pattern(None, None, node, None)
                        if self.paths is None or q.predicate in self.paths} - focus
            focus |= frontier
        found_literals = self._literal_values(literals)
        if not focus:
            return found_literals
        reached, frontier = set(focus), set(focus)
        for _ in range(SHAPE_DEPTH):
            frontier = {q.object for node in frontier for q in store.quads_for_pattern(node, None, None, None)
                        if (self.paths is None or q.predicate in self.paths) and not isinstance(q.object, ox.Literal)} - reached
            reached |= frontier
        part = OxigraphStore()
        part.add_quads(ox.Quad(q.subject, q.predicate, q.object) for node in reached
                       for q in store.quads_for_pattern(node, None, None, None)
                       if wanted is None or q.predicate in wanted)
        part.add_quads(ox.Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, SUBCLASS, None, None))
        named = [_rdflib(n) for n in focus if isinstance(n, ox.NamedNode)]  # pySHACL takes IRIs as focus nodes
        found_nodes = validate(to_rdflib(part, [""]), self.shapes, focus_nodes=named) if named else []
        return sorted(found_nodes + found_literals, key=lambda v: (v.severity, v.focus, v.path or "", v.message))

    def _literal_values(self, statements: list) -> list:
        """The results of the shapes on literals newly made values of a targeted property. A literal has
        no statements of its own, so the statements naming it decide everything: validated alone."""
        if not statements:
            return []
        part = OxigraphStore()
        part.add_quads(ox.Quad(s, p, o) for s, p, o in statements)
        values = {o.value for _s, _p, o in statements}
        names = {s.value for s, _p, _o in statements}
        return [v for v in validate(to_rdflib(part, [""]), self.shapes) if v.focus in values and v.focus not in names]


def _quads(lines: set) -> set:
    return set(ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_QUADS)) if lines else set()


def _rdflib(term):
    from service.store.oxigraph import _rdflib_term
    return _rdflib_term(term)
