"""Why the reasoner concluded a statement: one derivation, down to asserted statements.

Given a statement of the entailments graph, the explainer finds one instance of one of the reasoner's
rules (service.reasoning.entailment; its Ontology tables are the rules) whose premises hold, asserted
or entailed, and explains each premise the same way. The search deepens one step at a time, so the
derivation found is among the shortest; at a depth, instances whose premises are asserted come first,
then the rules that read best (RULE_ORDER: "a state is an actor" before "whatever is a member is an
actor"), then premises from the curated record before those of the imported datasets (ATOP, COW), whose
sources are coarser. A premise already on the path from the conclusion is never used again (no circular
explanation), and the depth is bounded (DEPTH).

It reads the store by SPARQL, one query per resource whose statements it needs, so it works on every
backend and costs the statements around the conclusion, not the graph.
"""
from __future__ import annotations

import itertools
import operator
from collections import deque
from dataclasses import dataclass, field

import pyoxigraph as ox

from service import iris
from service.reasoning.entailment import (NUMERIC, SUBCLASS, SUBPROPERTY, TYPE, Ontology, Reasoner,
                                          ontology_graph)

DEPTH = 12
WITNESSES = 64  # ways of meeting one part of a definition, tried at most
ENTAILMENTS = iris.ENTAILMENTS_GRAPH
IMPORTED = (iris.GRAPH + "data/atop/", iris.GRAPH + "data/states")
MEMBER_COUNT = ox.NamedNode(iris.AKG + "memberCount")
RULE_ORDER = {rule: i for i, rule in enumerate(
    ["cax-sco", "cls-def", "prp-spo1", "prp-inv", "prp-symp", "prp-spo2", "prp-trp", "akg-member-count", "cls-hv1",
     "cls-avf", "prp-dom", "prp-rng", "scm-axiom", "scm-sco", "scm-spo"])}
SYMBOLS = {operator.ge: "≥", operator.le: "≤", operator.gt: ">", operator.lt: "<"}


@dataclass(frozen=True)
class Rule:
    id: str           # the OWL 2 RL rule (cax-sco, prp-dom, ...), or the project's akg-member-count
    name: str
    explanation: str  # one line, in words
    axiom: str | None = None  # the ontology's axiom it applies, with CURIEs (≡ ⊑ ⊓ ⊔ ∃)


@dataclass
class Explanation:
    statement: tuple  # (subject, predicate, object), pyoxigraph terms
    graphs: list[str]  # the named graphs asserting it; empty when only entailed
    rule: Rule | None  # how it is derived; None when asserted, or when no derivation was found
    premises: list[Explanation] = field(default_factory=list)

    @property
    def asserted(self) -> bool:
        return bool(self.graphs)

    @property
    def explained(self) -> bool:
        return self.asserted or self.rule is not None

    def statements(self) -> set:
        found = {self.statement}
        for premise in self.premises:
            found |= premise.statements()
        return found

    def height(self) -> int:
        return 1 + max((p.height() for p in self.premises), default=-1) if self.rule else 0


def name(term) -> str:
    if isinstance(term, ox.NamedNode):
        return iris.compact(term.value)
    return f'"{term.value}"' if isinstance(term, ox.Literal) else str(term)


def with_article(term) -> str:
    """The term's name with its indefinite article: "an akg:Alliance", "a akg:State" would read badly."""
    text = name(term)
    return f"{'an' if text.rsplit(':', 1)[-1][:1].lower() in 'aeiou' else 'a'} {text}"


def render(expression) -> str:
    """A compiled class expression (entailment._expression) in description-logic notation."""
    tag = expression[0]
    if tag == "class":
        return name(expression[1])
    if tag in ("and", "or"):
        parts = [render(e) if e[0] not in ("and", "or") else f"({render(e)})" for e in expression[1]]
        return (" ⊓ " if tag == "and" else " ⊔ ").join(parts)
    if tag == "value":
        return f"∃{name(expression[1])}.{{{name(expression[2])}}}"
    if tag == "some":
        inner = expression[2]
        if inner is None:
            return f"∃{name(expression[1])}"
        text = render(inner)
        return f"∃{name(expression[1])}.{f'({text})' if inner[0] in ('and', 'or') else text}"
    return "[" + ", ".join(f"{SYMBOLS[test]} {bound:g}" for test, bound in expression[1]) + "]"


class Facts:
    """The statements of the store about the resources asked for, with the graphs holding each; one
    query per resource and direction, kept for the explainer's lifetime."""

    def __init__(self, store):
        self.store = store
        self._out: dict = {}
        self._into: dict = {}

    def _ask(self, query: str, key: str) -> dict:
        found: dict = {}
        for row in self.store.query(query).rows():
            found.setdefault(row["p"], {}).setdefault(row[key], set()).add(row["g"].value)
        return found

    def out(self, node) -> dict:
        """property -> {value: graphs}"""
        if not isinstance(node, ox.NamedNode):
            return {}
        if node not in self._out:
            self._out[node] = self._ask(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} "
                                        f"FILTER(!isBlank(?o)) }}", "o")
        return self._out[node]

    def into(self, node) -> dict:
        """property -> {subject: graphs}"""
        if not isinstance(node, ox.NamedNode):
            return {}
        if node not in self._into:
            self._into[node] = self._ask(f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p {node} }} "
                                         f"FILTER(isIRI(?s)) }}", "s")
        return self._into[node]

    def graphs(self, triple) -> set:
        s, p, o = triple
        if s not in self._out and o in self._into:  # read already from the other side
            return self._into[o].get(p, {}).get(s, set())
        return self.out(s).get(p, {}).get(o, set())

    def holds(self, triple) -> bool:
        return bool(self.graphs(triple))

    def asserted(self, triple) -> bool:
        return bool(self.graphs(triple) - {ENTAILMENTS})

    def values(self, s, p) -> list:
        return sorted(self.out(s).get(p, {}), key=str)

    def subjects(self, o, p) -> list:
        return sorted(self.into(o).get(p, {}), key=str)


class Explainer:
    """Explanations over one store as it stands (make a new one after a write)."""

    def __init__(self, store, ontology: Ontology | None = None, depth: int = DEPTH):
        self.ontology = ontology or Ontology(ontology_graph(store))
        self.facts = Facts(store)
        self.depth = depth
        self.definitions: dict = {}
        for cls, expression in self.ontology.definitions:
            self.definitions.setdefault(cls, []).append(expression)
        self.sub_classes: dict = {}
        for a, b in self.ontology.direct_subclass_pairs:
            self.sub_classes.setdefault(a, set()).add(b)
        self.sub_properties: dict = {}
        for a, b in self.ontology.direct_subproperty_pairs:
            self.sub_properties.setdefault(a, set()).add(b)
        self.restricted = {q for pairs in self.ontology.all_values.values() for q, _ in pairs}  # allValuesFrom
        self.counter = Reasoner(self.ontology)  # the reasoner's own member count, on the statements read
        self._instances: dict = {}
        self._proved: dict = {}
        self._failed: dict = {}
        self._blocked = False

    def explain(self, subject, predicate, object_) -> Explanation | None:
        """The statement asserted (its graphs) or derived (a rule and its premises, explained in turn);
        None when the store holds it neither way. A derived statement with no derivation within the
        depth comes back with no rule."""
        statement = (subject, predicate, object_)
        if not self.facts.holds(statement):
            return None
        for budget in range(self.depth + 1):
            found = self._prove(statement, budget, frozenset())
            if found is not None:
                return found
        return Explanation(statement, [], None)

    def _prove(self, statement, budget: int, path: frozenset) -> Explanation | None:
        graphs = self.facts.graphs(statement)
        asserted = sorted(graphs - {ENTAILMENTS})
        if asserted:
            return Explanation(statement, asserted, None)
        if not graphs:
            return None
        known = self._proved.get(statement)
        if known is not None and known.height() <= budget and not (known.statements() & path):
            return known
        if budget == 0 or self._failed.get(statement, -1) >= budget:
            return None
        blocked_above, self._blocked = self._blocked, False
        path = path | {statement}
        found = None
        for rule, premises in self.instances(statement):
            if any(p in path for p in premises):
                self._blocked = True
                continue
            proofs = []
            for premise in premises:
                proof = self._prove(premise, budget - 1, path)
                if proof is None:
                    break
                proofs.append(proof)
            else:
                found = self._proved[statement] = Explanation(statement, [], rule, proofs)
                break
        if found is None and not self._blocked:  # a failure the path did not cause holds on every path
            self._failed[statement] = budget
        self._blocked = blocked_above or self._blocked
        return found

    def instances(self, statement) -> list[tuple[Rule, list]]:
        """Every instance of a rule concluding the statement whose premises hold, best first."""
        if statement not in self._instances:
            s, p, o = statement
            found = list(self._type_instances(s, o) if p == TYPE else self._property_instances(s, p, o))
            if p in (SUBCLASS, SUBPROPERTY):
                found += self._schema_instances(s, p, o)
            facts = self.facts

            def rank(instance):
                premises = instance[1]
                own = [q for q in premises if facts.asserted(q)]
                imported = sum(all(g.startswith(IMPORTED) for g in facts.graphs(q) - {ENTAILMENTS}) for q in own)
                return len(premises) - len(own), RULE_ORDER[instance[0].id], imported, len(premises)
            self._instances[statement] = sorted(found, key=rank)
        return self._instances[statement]

    def _type_instances(self, s, cls):
        o, facts = self.ontology, self.facts
        for known in facts.values(s, TYPE):
            if (known, cls) in o.subclass_pairs:
                yield (Rule("cax-sco", "subclass", f"every {name(known)} is {with_article(cls)}",
                            self.chain(known, cls, self.sub_classes, "⊑")), [(s, TYPE, known)])
        for expression in self.definitions.get(cls, ()):
            axiom = f"{name(cls)} ≡ {render(expression)}"
            for premises, checks in itertools.islice(self._witnesses(expression, s), WITNESSES):
                said = f"{name(s)} meets the definition of {name(cls)}" + (f" ({', '.join(checks)})" if checks else "")
                yield Rule("cls-def", "defined class", said, axiom), premises
        for q, values in facts.out(s).items():
            if cls in o.domains.get(q, ()):
                for v in sorted(values, key=str)[:WITNESSES]:
                    yield (Rule("prp-dom", "domain", f"whatever has {with_article(q)} is {with_article(cls)}",
                                f"{name(q)} rdfs:domain {name(cls)}"), [(s, q, v)])
        for q, subjects in facts.into(s).items():
            if cls in o.ranges.get(q, ()):
                for x in sorted(subjects, key=str)[:WITNESSES]:
                    yield (Rule("prp-rng", "range", f"whatever is the {name(q)} of something is {with_article(cls)}",
                                f"{name(q)} rdfs:range {name(cls)}"), [(x, q, s)])
            for x in sorted(subjects, key=str)[:WITNESSES] if q in self.restricted else ():
                for known in facts.values(x, TYPE):
                    if (q, cls) in o.all_values.get(known, ()):
                        yield (Rule("cls-avf", "all values from", f"every {name(q)} of {with_article(known)} is "
                                    f"{with_article(cls)}", f"{name(known)} ⊑ ∀{name(q)}.{name(cls)}"),
                               [(x, TYPE, known), (x, q, s)])

    def _property_instances(self, s, p, v):
        o, facts = self.ontology, self.facts
        for q, values in facts.out(s).items():
            if v in values and p in o.super_properties.get(q, ()):
                yield (Rule("prp-spo1", "subproperty", f"whatever is {name(q)} is also {name(p)}",
                            self.chain(q, p, self.sub_properties, "⊑")), [(s, q, v)])
        if not isinstance(v, ox.Literal):
            for q in sorted(o.inverses.get(p, ()), key=str):
                if facts.holds((v, q, s)):
                    yield (Rule("prp-inv", "inverse", f"{name(p)} is the inverse of {name(q)}",
                                f"{name(p)} owl:inverseOf {name(q)}"), [(v, q, s)])
            if p in o.symmetric and facts.holds((v, p, s)):
                yield Rule("prp-symp", "symmetric", f"{name(p)} is symmetric", f"{name(p)} a owl:SymmetricProperty"), \
                    [(v, p, s)]
            if p in o.transitive:
                for y in facts.values(s, p):
                    if facts.holds((y, p, v)):
                        yield (Rule("prp-trp", "transitive", f"{name(p)} is transitive",
                                    f"{name(p)} a owl:TransitiveProperty"), [(s, p, y), (y, p, v)])
            for steps in {tuple(steps) for links in o.chains.values() for _, steps, result in links if result == p}:
                chain = " ∘ ".join(f"{name(q)}⁻" if inverted else name(q) for q, inverted in steps)
                for premises in self._chain_paths(s, v, steps):
                    yield (Rule("prp-spo2", "property chain", f"a chain {chain} makes {with_article(p)}",
                                f"{chain} ⊑ {name(p)}"), premises)
        for known in facts.values(s, TYPE):
            if (p, v) in o.has_values.get(known, ()):
                yield (Rule("cls-hv1", "has value", f"every {name(known)} has {name(p)} {name(v)}",
                            f"{name(known)} ⊑ ∃{name(p)}.{{{name(v)}}}"), [(s, TYPE, known)])
        if p == MEMBER_COUNT:
            yield from self._count_instance(s, v)

    def _chain_paths(self, s, v, steps):
        paths = [(s, [])]
        for q, inverted in steps:
            paths = [(y, premises + [(y, q, x) if inverted else (x, q, y)]) for x, premises in paths
                     for y in (self.facts.subjects(x, q) if inverted else self.facts.values(x, q))][:1000]
        return [premises for end, premises in paths if end == v][:WITNESSES]

    def _witnesses(self, expression, x):
        """(premises, numeric checks) that make x meet the expression, the asserted ones first."""
        tag, facts = expression[0], self.facts
        if tag == "class":
            if facts.holds((x, TYPE, expression[1])):
                yield [(x, TYPE, expression[1])], []
        elif tag == "and":
            options = [list(itertools.islice(self._witnesses(e, x), WITNESSES)) for e in expression[1]]
            for combination in itertools.islice(itertools.product(*options), WITNESSES):
                yield [q for premises, _ in combination for q in premises], [c for _, checks in combination
                                                                              for c in checks]
        elif tag == "or":
            for part in expression[1]:
                yield from self._witnesses(part, x)
        elif tag == "value":
            if facts.holds((x, expression[1], expression[2])):
                yield [(x, expression[1], expression[2])], []
        elif tag == "some":
            values = sorted(facts.values(x, expression[1]), key=lambda y: not facts.asserted((x, expression[1], y)))
            for y in values:
                if expression[2] is None:
                    yield [(x, expression[1], y)], []
                else:
                    for premises, checks in self._witnesses(expression[2], y):
                        yield [(x, expression[1], y)] + premises, checks
        elif isinstance(x, ox.Literal) and x.datatype.value in NUMERIC:  # ("range", bounds)
            if all(test(float(x.value), bound) for test, bound in expression[1]):
                yield [], [f"{x.value} {SYMBOLS[test]} {bound:g}" for test, bound in expression[1]]

    def _count_instance(self, s, count):
        """The reasoner's own count, run on the partnership's statements and its memberships'."""
        r, facts = self.counter, self.facts
        ids = r.count_terms()
        for subject in [s] + facts.values(s, r.terms[ids["hasMembership"]]):
            for q, values in facts.out(subject).items():
                for value in values:
                    r.assert_(subject, q, value)
        r.queue.clear()  # indexed to be counted, not reasoned from
        members = r.members_counted(r.intern(s))
        if not members or str(len(members)) != count.value:
            return
        term = lambda key: r.terms[ids[key]]  # noqa: E731
        premises = [(s, TYPE, term("SecurityPartnership"))]
        ended = False
        for member, memberships in sorted(members.items(), key=lambda item: str(r.terms[item[0]])):
            if not memberships:
                premises.append((s, term("hasMember"), r.terms[member]))
                continue
            membership = r.terms[min(memberships, key=lambda m: str(r.terms[m]))]
            premises += [(s, term("hasMembership"), membership), (membership, term("member"), r.terms[member])]
            for end in facts.values(membership, term("endDate")):
                premises.append((membership, term("endDate"), end))
                ended = True
        if ended:
            premises += [(s, term("endDate"), end) for end in facts.values(s, term("endDate"))]
        said = (f"akg:memberCount counts the members whose membership has not ended (for a partnership that "
                f"has ended: had not ended before it): {len(members)} here; a partnership whose member list is "
                f"partial (akg:membersComplete false) gets none")
        yield Rule("akg-member-count", "member count", said), premises

    def _schema_instances(self, a, p, b):
        direct = self.sub_classes if p == SUBCLASS else self.sub_properties
        closure = self.ontology.subclass_pairs if p == SUBCLASS else self.ontology.subproperty_pairs
        if b in direct.get(a, ()):  # told, but not as this statement: an equivalence or a definition's part
            axioms = [f"{name(a)} ≡ {render(e)}" for e in self.definitions.get(a, ())]
            yield (Rule("scm-axiom", "ontology axiom", f"the ontology's axioms on {name(a)} make it a "
                        f"{'subclass' if p == SUBCLASS else 'subproperty'} of {name(b)}",
                        "; ".join(axioms) or f"{name(a)} ≡ {name(b)}, or {name(a)} ⊑ ... ⊓ {name(b)}"), [])
        rule_id, kind = ("scm-sco", "rdfs:subClassOf") if p == SUBCLASS else ("scm-spo", "rdfs:subPropertyOf")
        for x in sorted(direct.get(a, ()), key=str):
            if x != b and (x, b) in closure:
                yield Rule(rule_id, "transitivity", f"{kind} is transitive"), [(a, p, x), (x, p, b)]

    @staticmethod
    def chain(start, end, edges: dict, symbol: str) -> str:
        """The shortest run of told edges from start to end, as "a ⊑ b ⊑ c"."""
        before, queue = {start: None}, deque([start])
        while queue:
            node = queue.popleft()
            if node == end:
                break
            for following in sorted(edges.get(node, ()), key=str):
                if following not in before:
                    before[following] = node
                    queue.append(following)
        if end not in before:
            return f"{name(start)} {symbol} {name(end)}"
        steps, node = [], end
        while node is not None:
            steps.append(name(node))
            node = before[node]
        return f" {symbol} ".join(reversed(steps))
