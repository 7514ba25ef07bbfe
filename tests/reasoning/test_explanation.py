"""Every conclusion of the reasoner can be explained, down to asserted statements, and each step of an
explanation is an instance of the rule it names (checked here against the ontology's tables and the
store, not by the explainer's own search)."""
from __future__ import annotations

import collections

import pyoxigraph as ox
import pytest

from service import iris
from service.reasoning import entailment
from service.reasoning.explanation import Explainer
from service.store.oxigraph import OxigraphStore

TYPE, SUBCLASS, SUBPROPERTY = entailment.TYPE, entailment.SUBCLASS, entailment.SUBPROPERTY
AKG = iris.AKG
ENTAILMENTS = iris.ENTAILMENTS_GRAPH
# the rules the shipped ontology gives the reasoner occasion to apply (no symmetric, transitive or
# allValuesFrom property: those are explained on the small graph below)
SHIPPED_RULES = {"cax-sco", "prp-dom", "prp-rng", "prp-spo1", "prp-inv", "prp-spo2", "cls-def", "cls-hv1",
                 "akg-member-count", "scm-sco", "scm-axiom"}


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def graphs_holding(store, statement) -> set[str]:
    s, p, o = statement
    return {r["g"].value for r in store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ {s} {p} {o} }} }}").rows()}


def meets(expression, x, facts: set) -> bool:
    """The definition evaluated on the premises alone: they must be enough."""
    tag = expression[0]
    if tag == "class":
        return (x, TYPE, expression[1]) in facts
    if tag == "and":
        return all(meets(e, x, facts) for e in expression[1])
    if tag == "or":
        return any(meets(e, x, facts) for e in expression[1])
    if tag == "value":
        return (x, expression[1], expression[2]) in facts
    if tag == "some":
        return any(p == expression[1] and s == x and (expression[2] is None or meets(expression[2], o, facts))
                   for s, p, o in facts)
    return isinstance(x, ox.Literal) and all(test(float(x.value), bound) for test, bound in expression[1])


def follows(rule_id: str, conclusion, premises: list, ontology, store) -> bool:
    """Whether the premises make the conclusion by the named rule, read off the ontology's tables."""
    s, p, o = conclusion
    one = premises[0] if len(premises) == 1 else None
    if rule_id == "cax-sco":
        return p == TYPE and one[:2] == (s, TYPE) and (one[2], o) in ontology.subclass_pairs
    if rule_id == "prp-dom":
        return p == TYPE and one[0] == s and o in ontology.domains.get(one[1], ())
    if rule_id == "prp-rng":
        return p == TYPE and one[2] == s and o in ontology.ranges.get(one[1], ())
    if rule_id == "cls-avf":
        (x, t, cls), (x2, q, y) = premises
        return p == TYPE and t == TYPE and x == x2 and y == s and (q, o) in ontology.all_values.get(cls, ())
    if rule_id == "cls-hv1":
        return one[:2] == (s, TYPE) and (p, o) in ontology.has_values.get(one[2], ())
    if rule_id == "prp-spo1":
        return (one[0], one[2]) == (s, o) and p in ontology.super_properties.get(one[1], ())
    if rule_id == "prp-inv":
        return (one[0], one[2]) == (o, s) and one[1] in ontology.inverses.get(p, ())
    if rule_id == "prp-symp":
        return one == (o, p, s) and p in ontology.symmetric
    if rule_id == "prp-trp":
        (a, q1, b), (b2, q2, c) = premises
        return p in ontology.transitive and q1 == q2 == p and (a, b, c) == (s, b2, o)
    if rule_id == "prp-spo2":
        for links in ontology.chains.values():
            for _, steps, result in links:
                if result == p and len(steps) == len(premises):
                    node = s
                    for (q, inverted), (a, q2, b) in zip(steps, premises):
                        if q2 != q or (b if inverted else a) != node:
                            break
                        node = a if inverted else b
                    else:
                        if node == o:
                            return True
        return False
    if rule_id == "cls-def":
        return p == TYPE and any(cls == o and meets(e, s, set(premises)) for cls, e in ontology.definitions)
    if rule_id == "akg-member-count":
        members = {b for a, q, b in premises if q in (n(AKG + "member"), n(AKG + "hasMember"))}
        counted = {b for a, q, b in premises if q == n(AKG + "hasMembership")}
        every = {r["m"] for r in store.query(f"SELECT ?m WHERE {{ {s} <{AKG}hasMembership> ?m }}").rows()}
        left_out = every - counted
        ended = {r["m"] for r in store.query(f"SELECT ?m WHERE {{ {s} <{AKG}hasMembership> ?m . "
                                             f"?m <{AKG}endDate> ?e }}").rows()}
        return (p == n(AKG + "memberCount") and (s, TYPE, n(AKG + "SecurityPartnership")) in premises
                and str(len(members)) == o.value and left_out <= ended)
    if rule_id in ("scm-sco", "scm-spo"):
        (a, q1, b), (b2, q2, c) = premises
        return q1 == q2 == p and (a, b, c) == (s, b2, o)
    if rule_id == "scm-axiom":
        direct = ontology.direct_subclass_pairs if p == SUBCLASS else ontology.direct_subproperty_pairs
        return not premises and (s, o) in direct
    raise AssertionError(f"unknown rule {rule_id}")


def check(explanation, ontology, store, path=()) -> set[str]:
    """Every step re-checked; the rules used."""
    statement = explanation.statement
    assert statement not in path, f"{statement} explained by itself"
    held = graphs_holding(store, statement)
    if explanation.asserted:
        assert set(explanation.graphs) == held - {ENTAILMENTS} and explanation.graphs and not explanation.premises
        return set()
    assert explanation.rule is not None, f"{statement}: no derivation found"
    assert held == {ENTAILMENTS}, f"{statement} is not an entailment of the store"
    premises = [p.statement for p in explanation.premises]
    assert follows(explanation.rule.id, statement, premises, ontology, store), \
        f"{statement} does not follow by {explanation.rule.id} from {premises}"
    used = {explanation.rule.id}
    for premise in explanation.premises:
        used |= check(premise, ontology, store, path + (statement,))
    return used


@pytest.fixture(scope="module")
def ontology(store):
    return entailment.Ontology(entailment.ontology_graph(store))


def stratified_sample(store, per_kind: int = 4) -> list[tuple]:
    """A few entailed statements of each predicate (of each class, for types), spread over the graph."""
    rows = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ENTAILMENTS}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o").rows()
    groups = collections.defaultdict(list)
    for row in rows:
        groups[(row["p"], row["o"] if row["p"] == TYPE else None)].append((row["s"], row["p"], row["o"]))
    sample = []
    for members in groups.values():
        step = max(1, len(members) // per_kind)
        sample += members[::step][:per_kind]
    return sample


def test_every_kind_of_conclusion_in_the_shipped_graph_is_explained_step_by_step(store, ontology):
    sample = stratified_sample(store)
    explainer = Explainer(store, ontology)
    by_rule = collections.defaultdict(list)  # the rules that can produce each statement: the groups
    for statement in sample:
        for rule, _ in explainer.instances(statement):
            by_rule[rule.id].append(statement)
    # a rule the spread missed (its conclusions may be few among their predicate's): the first it makes
    everything = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ENTAILMENTS}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o").rows()
    for row in everything if not SHIPPED_RULES <= set(by_rule) else ():
        statement = (row["s"], row["p"], row["o"])
        for rule, _ in explainer.instances(statement):
            if rule.id in SHIPPED_RULES - set(by_rule):
                by_rule[rule.id].append(statement)
        if SHIPPED_RULES <= set(by_rule):
            break
    assert SHIPPED_RULES <= set(by_rule), f"no entailed statement of {SHIPPED_RULES - set(by_rule)} in the graph"
    for rule_id, statements in sorted(by_rule.items()):
        for statement in statements[:12]:
            explanation = Explainer(store, ontology).explain(*statement)
            assert explanation is not None and not explanation.asserted
            check(explanation, ontology, store)
            # and by this very rule, though the explainer may prefer another: its premises explained in turn
            rule, premises = next((r, ps) for r, ps in explainer.instances(statement) if r.id == rule_id)
            assert follows(rule_id, statement, premises, ontology, store), (rule_id, statement, premises)
            for premise in premises:
                if premise != statement:
                    check(Explainer(store, ontology).explain(*premise), ontology, store)


def test_nato_is_an_alliance_because_of_its_scope_condition(store, ontology):
    nato = n(iris.ID + "partnership/nato")
    explanation = Explainer(store, ontology).explain(nato, TYPE, n(AKG + "Alliance"))
    check(explanation, ontology, store)
    assert explanation.rule.id == "cls-def"
    assert explanation.rule.axiom == ("akg:Alliance ≡ akg:SecurityPartnership ⊓ "
                                      "∃akg:hasScopeCondition.akg:ScopeCondition")
    premises = {p.statement: p for p in explanation.premises}
    article_5 = n(iris.ID + "scope-condition/nato-article-5")
    assert (nato, n(AKG + "hasScopeCondition"), article_5) in premises  # the curated record's, before ATOP's
    assert premises[(nato, TYPE, n(AKG + "SecurityPartnership"))].asserted
    scope = premises[(article_5, TYPE, n(AKG + "ScopeCondition"))]
    assert scope.rule.id == "cax-sco" and scope.rule.axiom == "akg:MutualDefenseClause ⊑ akg:ScopeCondition"
    assert scope.premises[0].statement == (article_5, TYPE, n(AKG + "MutualDefenseClause"))
    assert scope.premises[0].graphs == [iris.data_graph("paper/partnerships")]


def test_natos_size_class_follows_from_its_member_count(store, ontology):
    nato = n(iris.ID + "partnership/nato")
    explanation = Explainer(store, ontology).explain(nato, TYPE, n(AKG + "MultilateralAlliance"))
    check(explanation, ontology, store)
    assert "32 ≥ 8" in explanation.rule.explanation
    count = next(p for p in explanation.premises if p.statement[1] == n(AKG + "memberCount"))
    assert count.statement[2] == ox.Literal("32", datatype=n(str(entailment.XSD.integer)))
    assert count.rule.id == "akg-member-count"
    members = {p.statement[2] for p in count.premises if p.statement[1] == n(AKG + "member")}
    assert len(members) == 32 and n(iris.ID + "state/SWE") in members
    assert all(p.asserted for p in count.premises)


def test_an_ended_membership_is_not_counted(store, ontology):
    """A partnership with an ended membership: the count's premises leave it out, and say why the others count."""
    row = next(store.query(f"""SELECT ?p ?c WHERE {{ GRAPH <{ENTAILMENTS}> {{ ?p <{AKG}memberCount> ?c }}
        ?p <{AKG}hasMembership> ?m . ?m <{AKG}endDate> ?e . FILTER NOT EXISTS {{ ?p <{AKG}endDate> ?pe }} }}
        ORDER BY ?p LIMIT 1""").rows())
    explanation = Explainer(store, ontology).explain(row["p"], n(AKG + "memberCount"), row["c"])
    check(explanation, ontology, store)
    assert not any(p.statement[1] == n(AKG + "endDate") for p in explanation.premises)


def test_an_inverse_statement_goes_back_through_the_chain_to_the_membership(store, ontology):
    usa, nato = n(iris.ID + "state/USA"), n(iris.ID + "partnership/nato")
    explanation = Explainer(store, ontology).explain(usa, n(AKG + "memberOf"), nato)
    check(explanation, ontology, store)
    assert explanation.rule.id == "prp-inv"
    (has_member,) = explanation.premises
    assert has_member.statement == (nato, n(AKG + "hasMember"), usa) and has_member.rule.id == "prp-spo2"
    assert [p.statement[1].value for p in has_member.premises] == [AKG + "hasMembership", AKG + "member"]
    assert all(p.asserted for p in has_member.premises)


def test_a_subclass_chain_is_named_axiom_by_axiom(store, ontology):
    # a state of the COW list is an actor because a state is one; and the closure of the class hierarchy
    usa = n(iris.ID + "state/USA")
    explanation = Explainer(store, ontology).explain(usa, TYPE, n(AKG + "Actor"))
    check(explanation, ontology, store)
    assert explanation.rule.id == "cax-sco" and explanation.rule.axiom.startswith("akg:State ⊑")
    chains = [(a, b) for a, b in ontology.subclass_pairs if (a, b) not in ontology.direct_subclass_pairs
              and graphs_holding(store, (a, SUBCLASS, b)) == {ENTAILMENTS}]
    a, b = sorted(chains, key=str)[0]
    closure = Explainer(store, ontology).explain(a, SUBCLASS, b)
    assert check(closure, ontology, store) >= {"scm-sco"}
    steps = [p.statement for p in closure.premises]
    assert steps[0][0] == a and steps[-1][2] == b and steps[0][2] == steps[1][0]


def test_a_statement_the_graph_does_not_hold_has_no_explanation(store, ontology):
    nato = n(iris.ID + "partnership/nato")
    assert Explainer(store, ontology).explain(nato, TYPE, n(AKG + "State")) is None


def test_an_asserted_statement_is_its_own_explanation(store, ontology):
    nato = n(iris.ID + "partnership/nato")
    explanation = Explainer(store, ontology).explain(nato, TYPE, n(AKG + "SecurityPartnership"))
    assert explanation.asserted and explanation.rule is None
    assert explanation.graphs == [iris.data_graph("paper/partnerships")]


EX = "http://example.org/"
SMALL_TBOX = f"""
@prefix : <{EX}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
:A rdfs:subClassOf :B . :B rdfs:subClassOf :C .
:s a owl:ObjectProperty , owl:SymmetricProperty . :t a owl:ObjectProperty , owl:TransitiveProperty .
:Keeper rdfs:subClassOf [ a owl:Restriction ; owl:onProperty :keeps ; owl:allValuesFrom :Kept ] .
:keeps a owl:ObjectProperty .
:Either owl:equivalentClass [ owl:unionOf ( :A [ a owl:Restriction ; owl:onProperty :s ; owl:hasValue :hub ] ) ] .
"""
SMALL_ABOX = f"""
@prefix : <{EX}> .
:a :s :b . :b :s :c .
:x :t :y . :y :t :z . :z :t :x .
:k a :Keeper ; :keeps :thing .
:m a :A .
:hub :s :spoke .
"""


@pytest.fixture()
def small_store():
    store = OxigraphStore()
    for text, graph in [(SMALL_TBOX, iris.ontology_graph("core")), (SMALL_ABOX, iris.data_graph("test"))]:
        store.add_quads(ox.Quad(q.subject, q.predicate, q.object, n(graph))
                        for q in ox.parse(input=text.encode(), format=ox.RdfFormat.TURTLE))
    entailment.materialise(store)
    return store


def test_symmetric_transitive_and_all_values_conclusions_are_explained_without_circles(small_store):
    ontology = entailment.Ontology(entailment.ontology_graph(small_store))
    used = set()
    rows = list(small_store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{ENTAILMENTS}> {{ ?s ?p ?o }} }}").rows())
    for row in rows:
        explanation = Explainer(small_store, ontology).explain(row["s"], row["p"], row["o"])
        used |= check(explanation, ontology, small_store)
    assert {"prp-symp", "prp-trp", "cls-avf", "cls-def", "cax-sco", "scm-sco"} <= used
    # x t x holds only round the cycle x t y t z t x: its explanation never leans on itself
    loop = Explainer(small_store, ontology).explain(n(EX + "x"), n(EX + "t"), n(EX + "x"))
    assert (n(EX + "x"), n(EX + "t"), n(EX + "x")) not in {p.statement for p in loop.premises}
    assert loop.rule.id == "prp-trp" and loop.height() == 2


def test_a_derivation_deeper_than_the_limit_is_reported_unexplained(small_store):
    loop = (n(EX + "x"), n(EX + "t"), n(EX + "x"))
    shallow = Explainer(small_store, depth=1).explain(*loop)
    assert shallow is not None and not shallow.explained and not shallow.asserted
    assert Explainer(small_store, depth=2).explain(*loop).explained
