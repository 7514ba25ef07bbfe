"""Writes: who may write, and how a write becomes all or nothing, checked, with its entailments.

Every write to the embedded store goes through the guard at the cost of the change
(service/reasoning/guard.py): it holds the committed graph in memory, applies the change there, brings the
entailments up to date incrementally and checks what the change can affect; then commits.
Writes to an external store, and unguarded writes, go the whole way, one at a time:
  1. copy the asserted graphs (everything but the entailments) into an in-memory scratch store;
  2. apply the change there (a malformed or refused change stops here: nothing was touched);
  3. the guard: HermiT consistency and the SHACL shapes over the candidate (service.reasoning.check.check_store,
     which also recomputes the entailments); if the candidate fails, 422 with the report, nothing applied;
  4. commit the candidate, entailments included: the embedded store as its next generation in one step,
     an external store (service/store/external.py) as one SPARQL Update replacing the changed graphs
     and the entailments graph.
A store that fails while a write reads or commits (an external store unreachable, too slow, refusing)
raises a StoreFailure, which becomes the write's answer (502, 503 or 504) instead of an internal error.
"""
from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from pathlib import Path

from service import iris
from service.store.errors import StoreFailure, WriteRefused
from service.store.fault_points import pause_at
from service.store.oxigraph import OxigraphStore

__all__ = ["StoreFailure", "WriteRefused", "Writer", "WriteResult", "authorise", "asserted_quads"]


@dataclass
class WriteResult:
    changed_graphs: list[str] = field(default_factory=list)
    generation: str | None = None
    guard_seconds: float = 0.0
    seconds: float = 0.0
    outcome: object = None  # whatever the change function returned (e.g. whether a graph was created)


def bearer_key(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def authorise(write_key: str | None, authorization: str | None) -> None:
    """Raise WriteRefused unless writes are on and the request carries the key."""
    if not write_key:
        raise WriteRefused(403, "Writes are not enabled on this endpoint (no write key is configured).")
    offered = bearer_key(authorization)
    if offered is None or not hmac.compare_digest(offered.encode(), write_key.encode()):
        raise WriteRefused(401, "This write needs the header 'Authorization: Bearer KEY' with the "
                                "endpoint's write key.")


ONTOLOGY_GRAPHS = iris.GRAPH + "ontology/"
RELEASED = ("The ontology graphs are written by releases (the files in ontology/), not through the data write "
            "key; write the data graphs. Nothing was changed.")
ENTAILED = ("The entailments graph is computed by the reasoner; write the asserted graphs. Nothing was changed.")


def refuse_reserved(graph: str) -> None:
    """WriteRefused(403) for a graph the data key may not write: an ontology graph or the entailments."""
    if graph.startswith(ONTOLOGY_GRAPHS):
        raise WriteRefused(403, f"<{graph}>: {RELEASED}")
    if graph == iris.ENTAILMENTS_GRAPH:
        raise WriteRefused(403, ENTAILED)


def refuse_reserved_targets(update: str) -> None:
    """WriteRefused(403) for an update that drops, clears, copies into or deletes from a reserved graph.

    Inserts are caught on the candidate (a quad appears where none may); but the candidate holds no
    entailments, so DROP, CLEAR or DELETE DATA of the entailments graph would change nothing there and
    were answered 200 as if done. Decided on the parsed update, only when it names a reserved graph."""
    from service.store.safety import engine_text, parse
    read = engine_text(update)
    if iris.ENTAILMENTS_GRAPH not in read and ONTOLOGY_GRAPHS not in read:
        return
    tree = parse(read, update=True)
    for operation in tree.request if tree is not None else ():  # unparsable: the engine names the error
        for graph in _targets(operation):
            refuse_reserved(str(graph))


def _targets(operation) -> list:
    name = operation.name
    if name in ("Drop", "Clear", "Create"):
        return [operation.graphiri]
    if name in ("Copy", "Move", "Add"):
        return [operation.graph[-1]]
    if name in ("DeleteData", "InsertData", "DeleteWhere"):
        return _quad_graphs(operation)
    if name == "Modify":  # rdflib's CompValue.get answers a missing key with its name: test with `in`
        found = [operation["withClause"]] if "withClause" in operation else []
        for part in ("delete", "insert"):
            if part in operation:
                found += _quad_graphs(operation[part])
        return found
    return []


def _quad_graphs(clause) -> list:
    quads = clause["quads"] if "quads" in clause else {}
    return [q["term"] for q in quads["quadsNotTriples"]] if "quadsNotTriples" in quads else []


PARSED_UPDATE_CHARACTERS = 65_536  # rdflib parses a few KB in milliseconds, and a 150k-triple INSERT DATA in minutes


def graphs_an_update_may_change(update: str) -> set[str] | None:
    """The named graphs ("" for the default graph) whose statements `update` may add or remove, read from
    its parse, so that the guard compares those graphs before and after, not the whole store; None where
    that is not known: a template's GRAPH ?variable, CLEAR/DROP ALL or NAMED, a relative IRI (resolved
    against the request's address by the engine), LOAD, or an update too long to parse quickly."""
    from rdflib import URIRef
    from service.store.safety import engine_text, parse
    read = engine_text(update)
    if len(read) > PARSED_UPDATE_CHARACTERS:
        return None
    try:
        tree = parse(read, update=True)
    except Exception:  # noqa: BLE001 - the engine names the error when it runs the update
        tree = None
    if tree is None:
        return None
    found: set[str] = set()
    for operation in tree.request:
        graphs = _changed_by(operation)
        if graphs is None:
            return None
        for graph in graphs:
            if graph == "DEFAULT":
                found.add("")
            elif isinstance(graph, URIRef) and _absolute(str(graph)):
                found.add(str(graph))
            else:
                return None
    return found


def _changed_by(operation) -> list | None:
    name = operation.name
    if name in ("Drop", "Clear", "Create"):
        return [operation.graphiri] if operation.graphiri not in ("ALL", "NAMED") else None
    if name == "Move":
        return list(operation.graph)
    if name in ("Copy", "Add"):
        return [operation.graph[-1]]
    if name in ("DeleteData", "InsertData", "DeleteWhere"):
        return _template_graphs(operation["quads"] if "quads" in operation else {}, "DEFAULT")
    if name == "Modify":
        default = operation["withClause"] if "withClause" in operation else "DEFAULT"
        found = []
        for part in ("delete", "insert"):
            if part in operation:
                found += _template_graphs(operation[part]["quads"] if "quads" in operation[part] else {}, default)
        return found
    return None  # LOAD, or an operation this reading does not know


def _template_graphs(quads, default) -> list:
    found = [default] if "triples" in quads else []
    return found + ([q["term"] for q in quads["quadsNotTriples"]] if "quadsNotTriples" in quads else [])


def _absolute(iri: str) -> bool:
    scheme, colon, _rest = iri.partition(":")
    return bool(colon) and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def asserted_quads(store):
    """Every quad but the entailments (which are recomputed, never written)."""
    entailments = iris.ENTAILMENTS_GRAPH
    return [q for q in store.quads() if getattr(q.graph_name, "value", None) != entailments]


class Writer:
    """Applies changes to a store one at a time: a PersistentStore (readers keep the previous generation
    meanwhile) or a SparqlStore. Either has `commit(quads, graphs, changed_graphs)`."""

    def __init__(self, store, shapes_file: Path, guard: bool = True, on_commit: Callable | None = None):
        self.store, self.shapes_file, self.guard = store, Path(shapes_file), guard
        self.on_commit = on_commit
        self._lock = threading.Lock()
        # one write runs and at most WAITING_WRITERS wait (each for at most WAIT_SECONDS): a queue of
        # writers would otherwise hold every server thread through each other's guard
        self._waiting = threading.BoundedSemaphore(self.WAITING_WRITERS)
        self._shapes = None
        self._guard = None  # the guard's copy of the graph, made at the first guarded write

    @property
    def shapes(self):
        """The SHACL shapes, read at the first guarded write (rdflib and pyshacl are slow to import)."""
        if self._shapes is None:
            from rdflib import Graph
            self._shapes = Graph()
            if self.shapes_file.is_file():
                self._shapes.parse(str(self.shapes_file), format="turtle")
        return self._shapes

    def close(self) -> None:
        """End the guard's Java process (it ends with this process in any case)."""
        if self._guard is not None:
            self._guard.close()

    WAITING_WRITERS = 1
    WAIT_SECONDS = 120.0

    def apply(self, change: Callable[[OxigraphStore], object], graphs: set[str] | None = None) -> WriteResult:
        """Run `change` on a scratch copy; check; commit. Exceptions from `change` leave the store as it was.
        `graphs`: the only graphs the change can alter, where the caller knows them (the guard then compares
        those, not the whole graph, to find what changed); None for any.
        Writes are applied one after the other; one more may wait its turn, and any beyond it is refused
        (503, nothing changed): never a lost update."""
        started = time.perf_counter()
        if not self._lock.acquire(blocking=False):
            if not self._waiting.acquire(blocking=False):
                busy = WriteRefused(503, "Another write is being checked and one more is waiting for it; "
                                         "nothing was changed. Send this write again in a minute.")
                busy.retry_after = 60
                raise busy
            try:
                acquired = self._lock.acquire(timeout=self.WAIT_SECONDS)
            finally:
                self._waiting.release()
            if not acquired:
                raise WriteRefused(503, f"The write waited {self.WAIT_SECONDS:g} s for the one before it; "
                                        "nothing was changed. Send it again.")
        try:
            result = self._apply(change, graphs)
        except StoreFailure as failure:
            raise WriteRefused(failure.status, f"The store failed the write: {failure}") from None
        finally:
            self._lock.release()
        result.seconds = time.perf_counter() - started
        return result

    def _apply(self, change: Callable[[OxigraphStore], object], graphs: set[str] | None) -> WriteResult:
        if self.guard and not hasattr(self.store, "check_writable"):
            return self._apply_guarded(change, graphs)
        return self._apply_whole(change)

    def _apply_guarded(self, change: Callable[[OxigraphStore], object], graphs: set[str] | None) -> WriteResult:
        from service.reasoning.consistency import ReasonerUnavailable
        from service.reasoning.guard import Guard
        if self._guard is None:
            try:
                self._guard = Guard(self.store.quads(), self.store.graphs(), self.shapes)
            except ReasonerUnavailable as missing:
                raise WriteRefused(503, f"The write could not be checked ({missing}). Nothing was changed.") from None
        guard = self._guard
        outcome, found = guard.apply(change, graphs)  # a change that fails is taken back by the guard
        pause_at("applied")
        try:
            changed = found.changed_graphs
            for graph in changed + ([iris.ENTAILMENTS_GRAPH] if found.entailments_written else []):
                refuse_reserved(graph)
            result = WriteResult(changed_graphs=changed, outcome=outcome)
            if not changed:
                return result
            def check():
                guard.reason(found)
                pause_at("entailments")
                return guard.check(found)
            _refuse_unless_it_passes(check, result)
            result.generation = self._commit(guard, found, changed)
        except BaseException:
            try:
                guard.take_back(found)
            except Exception:  # noqa: BLE001 - a copy that cannot be trusted is made again at the next write
                self._guard.close()
                self._guard = None
            raise
        guard.baseline_ok = True
        if self.on_commit:
            self.on_commit(result)
        return result

    def _commit(self, guard, found, changed: list[str]) -> str:
        """The change alone where the store takes one (the embedded store's next generation starts as
        links to the current one's files), else the whole graph."""
        if getattr(self.store, "commit_change", None) and not self.store.is_empty:
            from service.reasoning.incremental import entailment_quads
            return self.store.commit_change(
                found.added | set(entailment_quads(found.entailed_added)),
                found.removed | set(entailment_quads(found.entailed_removed)),
                found.graphs_added, found.graphs_removed)
        return self.store.commit(guard.copy.quads(), guard.copy.graphs(), changed_graphs=changed)

    def _apply_whole(self, change: Callable[[OxigraphStore], object]) -> WriteResult:
        from service.reasoning import entailment
        from service.reasoning.check import check_store
        scratch = OxigraphStore()
        try:
            scratch.add_quads(asserted_quads(self.store))
            graphs = self.store.graphs()
        except StoreFailure as failure:
            raise WriteRefused(failure.status, f"The store could not be read for the write: {failure}. "
                                               "Nothing was changed.") from None
        # compared as the scratch store holds them: Oxigraph stores e.g. "0"^^xsd:nonNegativeInteger as
        # an xsd:integer, which an external store's copy would otherwise show as a change
        before = asserted_quads(scratch)
        for graph in graphs:
            if graph != iris.ENTAILMENTS_GRAPH:
                scratch.add_graph(graph)
        graphs_before = set(scratch.graphs())
        outcome = change(scratch)
        pause_at("applied")
        # the scratch copy holds no entailments, so anything in that graph now was written into it
        # (dropping it is not refused: DROP ALL must work, and the reasoner rewrites it after every write)
        entailments_written = next(iter(scratch.quads(iris.ENTAILMENTS_GRAPH)), None) is not None
        scratch.remove_graph(iris.ENTAILMENTS_GRAPH)  # written by the reasoner only
        after = asserted_quads(scratch)
        difference = set(before) ^ set(after)
        changed = sorted({q.graph_name.value if hasattr(q.graph_name, "value") else "" for q in difference}
                         | (graphs_before ^ set(scratch.graphs())))
        for graph in changed + ([iris.ENTAILMENTS_GRAPH] if entailments_written else []):
            refuse_reserved(graph)
        result = WriteResult(changed_graphs=changed, outcome=outcome)
        if not changed:
            return result
        refuse_unwritable = getattr(self.store, "check_writable", None)  # an external store's, before the guard
        if refuse_unwritable:
            refuse_unwritable(changed)
        if self.guard:
            _refuse_unless_it_passes(lambda: check_store(scratch, self.shapes, suspect_graphs=[g for g in changed if g]),
                                     result)
        else:
            entailment.materialise(scratch)
            pause_at("entailments")
        result.generation = self.store.commit(scratch.quads(), scratch.graphs(), changed_graphs=changed)
        if self.on_commit:
            self.on_commit(result)
        return result


def _refuse_unless_it_passes(check: Callable, result: WriteResult) -> None:
    """Run the guard's `check` (a check report), timed into `result`: a reasoner that cannot run is a 503,
    a failing report a 422 carrying it; either way nothing was changed."""
    from service.reasoning.consistency import ReasonerUnavailable
    started = time.perf_counter()
    try:
        report = check()
    except ReasonerUnavailable as missing:
        raise WriteRefused(503, f"The write could not be checked ({missing}). Nothing was changed.") from None
    result.guard_seconds = time.perf_counter() - started
    if not report.ok:
        raise WriteRefused(422, "The write was refused: the graph it would make is inconsistent "
                                "or breaks the data rules. Nothing was changed.", report.as_dict())
