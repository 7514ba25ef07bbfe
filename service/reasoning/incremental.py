"""The entailments kept up to date change by change, equal to a recomputation (service.reasoning.entailment).

Added statements are reasoned forward from where they enter, as the full run does. Removed statements
go by delete-rederive (DRed, Gupta, Mumick & Subrahmanian 1993):
  1. overdelete: every entailed statement with at least one derivation that uses a removed statement,
     found by running the same rules forward from the removed statements over the graph as it was;
  2. take those out of the index;
  3. rederive: every rule that concludes a statement about a node has a premise in which that node
     stands (as subject or object), so the statements still held about the overdeleted statements'
     subjects are reasoned forward again, which brings back whatever still follows.
The member count (akg:memberCount) is not monotonic (an end date lowers it): the counts of the
partnerships a change touches are taken out with the overdeleted statements and counted again at the end,
as the full run counts after its first fixpoint.
"""
from __future__ import annotations

from collections import deque
from typing import Iterable

import pyoxigraph as ox

from service import iris
from service.reasoning.entailment import (SUBCLASS, SUBPROPERTY, TYPE, Ontology, Reasoner, _statements,
                                          ontology_graph)


class IncrementalReasoner(Reasoner):
    """A Reasoner that remembers which statements are asserted and which derived, and can take both back."""

    def __init__(self, ontology: Ontology):
        super().__init__(ontology)
        self.asserted: set = set()
        self.entailed: set = set()
        self.deleting: set | None = None  # while overdeleting: the statements found so far
        self.counts: dict = {}  # partnership -> the member count the count rule gave it
        self.entailed_since: set = set()  # entailed during this change (their partnerships are recounted)

    def _derive(self, s: int, p: int, o: int, closed: bool = False) -> None:
        if self.deleting is not None:  # a conclusion the removed statements may have supported
            triple = (s, p, o)
            if triple in self.entailed and triple not in self.deleting:
                self.deleting.add(triple)
                self.queue.append((s, p, o, False))
            return
        if not self.literal[s] and self._index(s, p, o):
            self.entailed.add((s, p, o))
            self.entailed_since.add((s, p, o))
            self.queue.append((s, p, o, closed))

    def _check(self, x: int, definitions) -> None:
        if self.deleting is None:
            return super()._check(x, definitions)
        for cls, _expression in definitions:  # whether it still holds is the rederive step's question
            self._derive(x, self.type, cls)

    def _unindex(self, s: int, p: int, o: int) -> None:
        values = self.out[s][p]
        if values.__class__ is int:
            del self.out[s][p]
        else:
            values.discard(o)
            if len(values) == 1:
                self.out[s][p] = next(iter(values))
        if not self.literal[o]:
            subjects = self.into[o][p]
            if subjects.__class__ is int:
                del self.into[o][p]
            else:
                subjects.discard(s)
                if len(subjects) == 1:
                    self.into[o][p] = next(iter(subjects))

    def _facts_about(self, node: int) -> Iterable[tuple]:
        for p, values in list(self.out.get(node, {}).items()):
            for o in ((values,) if values.__class__ is int else list(values)):
                yield node, p, o
        for p, subjects in list(self.into.get(node, {}).items()):
            for s in ((subjects,) if subjects.__class__ is int else list(subjects)):
                yield s, p, node

    def _partnerships_touched(self, triples: Iterable[tuple]) -> set:
        """The partnerships whose member count may read one of these statements."""
        ids = self.count_terms()
        own = {self.type, ids["membersComplete"], ids["hasMembership"], ids["endDate"], ids["hasMember"]}
        found = set()
        for s, p, _o in triples:
            if p in own:
                found.add(s)
            if p in (ids["endDate"], ids["member"]):
                found.update(self._subjects(s, ids["hasMembership"]))
        return found

    def change(self, added: Iterable[tuple], removed: Iterable[tuple]) -> None:
        """Bring the index to the asserted statements with `added` in and `removed` out (interned triples)."""
        member_count = self.count_terms()["memberCount"]
        removed = {t for t in removed if t in self.asserted}
        added = {t for t in added if t not in self.asserted} - removed
        self.asserted -= removed
        self.asserted |= added
        self.entailed -= added  # now asserted: no longer an entailment, and already indexed
        self.entailed_since = set()
        touched = self._partnerships_touched(removed | added)
        recount = set(touched)
        # 1. overdelete, with the counts of the partnerships concerned (grown while the deletion spreads)
        self.deleting = gone = set()
        self.queue = deque((s, p, o, False) for s, p, o in removed)
        while True:
            for partnership in touched:
                if partnership in self.counts:
                    self._derive(partnership, member_count, self.counts.pop(partnership))
            self.run()
            touched = self._partnerships_touched(gone) - recount
            if not touched:
                break
            recount |= touched
        self.deleting = None
        self._take_out(removed | gone)
        for s, p, o in added:
            if self._index(s, p, o):
                self.queue.append((s, p, o, False))
        self.run()
        # 4. the counts, as the full run takes them after its first fixpoint; a changed count reasons on
        while True:
            recount |= self._partnerships_touched(self.entailed_since)
            self.entailed_since = set()
            wrong = []
            for partnership in sorted(recount):
                count = self.member_count(partnership)
                if partnership in self.counts and self.counts[partnership] != count:
                    wrong.append((partnership, member_count, self.counts.pop(partnership)))
                if count is not None and partnership not in self.counts:
                    self.counts[partnership] = count
                    self._derive(partnership, member_count, count)
            self.run()
            if not wrong:
                break
            self.deleting = gone = set()
            self.queue = deque()
            for triple in wrong:
                self._derive(*triple)
            self.run()
            self.deleting = None
            self._take_out(gone)
            recount |= self._partnerships_touched(gone)

    def _take_out(self, gone: set) -> None:
        """2. out of the index (what is still asserted stays); 3. rederive from what is still held about
        their subjects (queued: the caller runs)."""
        for s, p, o in gone:
            if (s, p, o) not in self.asserted:
                self._unindex(s, p, o)
        self.entailed -= gone
        self.queue = deque()
        for node in {s for s, _, _ in gone}:
            self.queue.extend((s, p, o, False) for s, p, o in self._facts_about(node))


class Materialisation:
    """The entailments of a store's asserted statements, held in memory and kept up to date."""

    def __init__(self, store):
        self.ontology = Ontology(ontology_graph(store))
        self.reasoner = IncrementalReasoner(self.ontology)
        self.predicates = self.ontology.properties | {TYPE}
        r = self.reasoner
        for t in _statements(store, sorted(self.predicates, key=lambda t: t.value)):
            triple = (r.intern(t.subject), r.intern(t.predicate), r.intern(t.object))
            r.asserted.add(triple)
            if r._index(*triple):
                r.queue.append((*triple, False))
        r.run()
        ids = r.count_terms()
        for partnership in list(r._subjects(ids["SecurityPartnership"], r.type)):
            count = r.member_count(partnership)
            if count is not None:
                r.counts[partnership] = count
                r._derive(partnership, ids["memberCount"], count)
        r.run()
        schema = {(a, SUBCLASS, b) for a, b in self.ontology.subclass_pairs}
        schema |= {(a, SUBPROPERTY, b) for a, b in self.ontology.subproperty_pairs}
        asserted_schema = {(t.subject, t.predicate, t.object) for t in _statements(store, [SUBCLASS, SUBPROPERTY])}
        self.schema = schema - asserted_schema  # the ontology's closure: writes cannot change the ontology

    def triples(self) -> set:
        """Every entailed statement, as pyoxigraph triples."""
        terms = self.reasoner.terms
        return {ox.Triple(terms[s], terms[p], terms[o]) for s, p, o in self.reasoner.entailed} | \
            {ox.Triple(*t) for t in self.schema}

    def change(self, added: Iterable[ox.Triple], removed: Iterable[ox.Triple]) -> tuple[set, set]:
        """Apply a change of asserted statements; the entailed statements it adds and those it removes."""
        r = self.reasoner
        def interned(triples):
            return {(r.intern(t.subject), r.intern(t.predicate), r.intern(t.object))
                    for t in triples if t.predicate in self.predicates}
        before = set(r.entailed)
        r.change(interned(added), interned(removed))
        terms = r.terms
        def out(triples):
            return {ox.Triple(terms[s], terms[p], terms[o]) for s, p, o in triples}
        return out(r.entailed - before), out(before - r.entailed)


def entailment_quads(triples: Iterable[ox.Triple]) -> list[ox.Quad]:
    graph = ox.NamedNode(iris.ENTAILMENTS_GRAPH)
    return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
