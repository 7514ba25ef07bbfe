"""Why the graph holds a statement, for people: the explanation (service.reasoning.explanation) with
labels, the sources of each asserted statement, and one sentence that says it; as JSON-ready dicts
and as text for the command line."""
from __future__ import annotations

import pyoxigraph as ox

from service import iris
from service.graph import describe
from service.reasoning.entailment import Ontology, ontology_graph
from service.reasoning.explanation import Explainer, Explanation

TYPE = iris.PREFIXES["rdf"] + "type"
SUMMARY_PREMISES = 6  # a member count has dozens of premises: the sentence names the first few
EXAMPLE = "https://w3id.org/alliance-kg/id/partnership/nato"


class StatementError(ValueError):
    """A term of the statement asked about that is not one; `parameter` is s, p or o."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


def parse_statement(subject: str, predicate: str, object_: str) -> tuple:
    """The three terms, each written as a full IRI (bare or in <>), prefix:name with one of the project's
    prefixes, or (the object) a Turtle literal: "text"@en, "32"^^xsd:integer, 32."""
    return (_term("s", subject, "{} <urn:x:p> <urn:x:o> .", 0), _term("p", predicate, "<urn:x:s> {} <urn:x:o> .", 1),
            _term("o", object_, "<urn:x:s> <urn:x:p> {} .", 2))


def _term(parameter: str, text: str | None, template: str, position: int):
    text = (text or "").strip()
    if not text:
        raise StatementError(parameter, f"missing; give an IRI, e.g. {parameter}={EXAMPLE}")
    prefix = text.split(":", 1)[0]
    if prefix not in iris.PREFIXES and ("://" in text or text.startswith("urn:")) and text[:1] not in "<\"'":
        text = f"<{text}>"  # a bare absolute IRI; zz:x is an undeclared prefix rather than a scheme
    if position < 2 and text.startswith(('"', "'")):
        raise StatementError(parameter, f"a literal cannot stand here: {text!r}; give an IRI")
    prologue = "".join(f"@prefix {p}: <{namespace}> .\n" for p, namespace in iris.PREFIXES.items())
    try:
        quads = list(ox.parse(prologue + template.format(text), format=ox.RdfFormat.TURTLE))
    except SyntaxError as error:
        reason = str(error).split(": ", 1)[-1].removesuffix(f" (line {len(iris.PREFIXES) + 1})")
        raise StatementError(parameter, f"not an IRI{' or literal' if position == 2 else ''}: {text!r} "
                                        f"({reason}); write a full IRI such as {EXAMPLE}, or prefix:name with one "
                                        f"of the prefixes {', '.join(iris.PREFIXES)}") from None
    if len(quads) != 1:
        raise StatementError(parameter, f"not one term: {text!r}")
    term = (quads[0].subject, quads[0].predicate, quads[0].object)[position]
    if not isinstance(term, (ox.NamedNode, ox.Literal)):
        raise StatementError(parameter, f"a blank node names nothing outside its file: {text!r}")
    return term


def why(store, subject, predicate, object_, ontology: Ontology | None = None) -> dict | None:
    """The statement explained (see `explain_node`), with a one-sentence `summary`; None when the graph
    neither asserts nor entails it. `ontology`: the store's, compiled once by a caller that asks often."""
    explanation = Explainer(store, ontology).explain(subject, predicate, object_)
    if explanation is None:
        return None
    iris_named = {t.value for s in explanation.statements() for t in s if isinstance(t, ox.NamedNode)}
    labels = describe.labels(store, iris_named)
    sources: dict = {}
    report = explain_node(store, explanation, labels, sources)
    report["summary"] = summary(report)
    return report


def ontology(store) -> Ontology:
    """The rules' tables, compiled from the store's ontology graphs (which writes never change)."""
    return Ontology(ontology_graph(store))


def explain_node(store, explanation: Explanation, labels: dict, sources: dict) -> dict:
    """{statement: {subject, predicate, object}, text, asserted, graphs, sources, explained, rule, premises}"""
    s, p, o = explanation.statement
    if explanation.asserted and s.value not in sources:  # an ontology axiom's: the term's dcterms:source
        rows = describe.sources(store, s.value) or describe.sources(store, s.value, "dcterms:source")
        sources[s.value] = [_source(row) for row in rows]
    rule = explanation.rule
    return {
        "statement": {"subject": _term_json(s, labels), "predicate": _term_json(p, labels),
                      "object": _term_json(o, labels)},
        "text": sentence(explanation.statement, labels),
        "asserted": explanation.asserted,
        "graphs": explanation.graphs,
        "sources": sources.get(s.value, []) if explanation.asserted else [],
        "explained": explanation.explained,
        "rule": None if rule is None else {"id": rule.id, "name": rule.name, "explanation": rule.explanation,
                                           "axiom": rule.axiom},
        "premises": [explain_node(store, premise, labels, sources) for premise in explanation.premises],
    }


def _source(row: dict) -> dict:
    joined = lambda column: "; ".join(row[column]) or None  # noqa: E731
    return {"iri": row["source"], "title": joined("title"), "section": joined("section"),
            "pages": joined("pages"), "url": joined("url"), "citation": joined("citation"),
            "part_of": joined("wholeTitle") or joined("whole")}


def _term_json(term, labels: dict) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "iri", "value": term.value, "label": labels.get(term.value, iris.compact(term.value)),
                "ntriples": str(term)}
    found = {"type": "literal", "value": term.value, "ntriples": str(term)}
    return found | ({"language": term.language} if term.language else {"datatype": term.datatype.value})


def _name(term, labels: dict) -> str:
    if isinstance(term, ox.NamedNode):
        return labels.get(term.value) or iris.compact(term.value)
    return term.value


def sentence(statement: tuple, labels: dict) -> str:
    """The statement in words: "NATO is an alliance", "NATO has member count 32"."""
    s, p, o = statement
    if p.value == TYPE:
        kind = _name(o, labels)
        return f"{_name(s, labels)} is {'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"
    return f"{_name(s, labels)} {_name(p, labels)} {_name(o, labels)}"


def cited(node: dict, most: int = 3) -> str:
    """The sources a statement rests on, short: the titles of the first few sources of its asserted
    statements (itself, when asserted; the leaves of its explanation, when derived)."""
    def leaves(n):
        return [n] if n["asserted"] else [leaf for premise in n["premises"] for leaf in leaves(premise)]
    titles = list(dict.fromkeys(source["title"] or iris.compact(source["iri"])
                                for leaf in leaves(node) for source in leaf["sources"]))
    more = f"; and {len(titles) - most} more" if len(titles) > most else ""
    return "; ".join(titles[:most]) + more


def summary(node: dict) -> str:
    """One sentence: "NATO is an alliance because ...; and akg:Alliance ≡ ..."."""
    if node["asserted"]:
        graphs = ", ".join(iris.compact(g).removeprefix(iris.GRAPH) for g in node["graphs"])
        source = cited(node)
        return f"{node['text']}: asserted in {graphs}" + (f", from {source}" if source else "") + "."
    if not node["explained"]:
        return f"{node['text']}: concluded by the reasoner, but no derivation was found within the depth limit."
    premises = []
    for premise in node["premises"][:SUMMARY_PREMISES]:
        source = cited(premise)
        premises.append(premise["text"] + (f" ({source})" if source else ""))
    if len(node["premises"]) > SUMMARY_PREMISES:
        premises.append(f"{len(node['premises']) - SUMMARY_PREMISES} more statements")
    rule = node["rule"]
    because = f" because {', '.join(premises)}; and " if premises else ": "
    return f"{node['text']}{because}{rule['explanation']}" + (f": {rule['axiom']}" if rule["axiom"] else "") + "."


def as_text(node: dict, depth: int = 0) -> str:
    """The explanation as an indented tree, for the command line."""
    pad = "    " * depth
    lines = [pad + ("- " if depth else "") + node["text"]]
    pad += "  " if depth else ""
    if node["asserted"]:
        lines.append(pad + "  asserted in " + ", ".join(node["graphs"]))
        for source in node["sources"]:
            section = source["section"] if source["section"] != source["title"] else None
            where = ", ".join(x for x in (source["part_of"], section, source["pages"] and f"p. {source['pages']}",
                                          source["url"]) if x)
            lines.append(pad + f"  source: {source['title'] or source['iri']}" + (f" ({where})" if where else ""))
    elif node["rule"] is None:
        lines.append(pad + "  concluded by the reasoner; no derivation found within the depth limit")
    else:
        rule = node["rule"]
        lines.append(pad + f"  concluded by the reasoner, rule {rule['id']} ({rule['name']}): {rule['explanation']}")
        if rule["axiom"]:
            lines.append(pad + f"  axiom: {rule['axiom']}")
        if node["premises"]:
            lines.append(pad + "  because:")
        lines += [as_text(premise, depth + 1) for premise in node["premises"]]
    return "\n".join(lines)
