"""What the graph says of one resource, gathered for its page and its RDF description.

Every function takes the store (the same accessor /sparql uses) and an IRI already checked by
`node()`, so the IRI can be written into a query without escaping worries: pyoxigraph refuses an
IRI with a character that could end the term.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from service import iris

RDF_TYPE = iris.PREFIXES["rdf"] + "type"
ENTAILMENTS = iris.ENTAILMENTS_GRAPH
ONTOLOGY_GRAPHS = iris.GRAPH + "ontology/"
LABEL_PROPERTIES = ("rdfs:label", "skos:prefLabel", "dcterms:title")
PROLOGUE = iris.sparql_prologue()


@dataclass(frozen=True)
class Value:
    """An RDF term as a page shows it: IRIs with a label, literals with language or datatype."""

    kind: str  # "iri", "literal" or "blank"
    value: str
    language: str | None = None
    datatype: str | None = None

    @property
    def is_iri(self) -> bool:
        return self.kind == "iri"


@dataclass
class Statement:
    predicate: str
    values: list[tuple[Value, bool]] = field(default_factory=list)  # (value, concluded by the reasoner)


def node(iri: str) -> ox.NamedNode:
    """The IRI as a term, or ValueError when it is not a valid IRI."""
    return ox.NamedNode(iri)


def value(term) -> Value:
    if isinstance(term, ox.NamedNode):
        return Value("iri", term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if term.language is None else None
        return Value("literal", term.value, term.language, datatype)
    return Value("blank", str(term))


def select(store, query: str) -> list[dict]:
    return list(store.query(PROLOGUE + query).rows())


def exists(store, iri: str) -> bool:
    subject = node(iri)
    return bool(store.query(f"ASK {{ {{ {subject} ?p ?o }} UNION {{ ?s ?p {subject} }} }}"))


def merged_into(store, iri: str) -> str | None:
    """The IRI a retired IRI of this graph now is: one whose only statements are ``owl:sameAs`` another
    resource of the graph (ATOP's ``partnership/atop-3180`` is ``partnership/nato``), else None."""
    subject = node(iri)
    rows = select(store, f"""SELECT DISTINCT ?target WHERE {{
        {subject} owl:sameAs ?target .
        FILTER (isIRI(?target) && STRSTARTS(STR(?target), "{iris.ID}"))
        FILTER NOT EXISTS {{ {subject} ?p ?o FILTER (?p != owl:sameAs) }}
    }}""")
    return rows[0]["target"].value if len(rows) == 1 else None


def triples(store, iri: str, *, incoming: bool = True) -> list[ox.Triple]:
    """The resource's description: its statements (entailed ones included) and, if asked, those pointing at it."""
    subject = node(iri)
    where = f"{{ {subject} ?p ?o }}" + (f" UNION {{ ?s ?q {subject} }}" if incoming else "")
    template = f"{subject} ?p ?o ." + (f" ?s ?q {subject} ." if incoming else "")
    result = store.query(f"CONSTRUCT {{ {template} }} WHERE {{ {where} }}")
    return list(dict.fromkeys(result.triples()))


def graph_triples(store, graphs: list[str]) -> list[ox.Triple]:
    result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=graphs)
    return list(dict.fromkeys(result.triples()))


def statements(store, iri: str) -> tuple[list[Value], list[Value], list[Statement]]:
    """(asserted types, types only the reasoner concludes, the other statements by property)."""
    found: dict[tuple[str, Value], set[str]] = defaultdict(set)
    for row in select(store, f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {node(iri)} ?p ?o }} }}"):
        found[(row["p"].value, value(row["o"]))].add(row["g"].value)
    asserted_types, entailed_types = [], []
    by_property: dict[str, Statement] = {}
    for (predicate, object_), graphs in found.items():
        entailed = graphs == {ENTAILMENTS}
        if predicate == RDF_TYPE:
            (entailed_types if entailed else asserted_types).append(object_)
        else:
            by_property.setdefault(predicate, Statement(predicate)).values.append((object_, entailed))
    return asserted_types, entailed_types, list(by_property.values())


def incoming(store, iri: str, limit: int = 500) -> list[tuple[Value, str, bool]]:
    """(subject, property, concluded by the reasoner only) of the statements pointing at the resource,
    at most `limit`."""
    o = node(iri)
    rows = select(store, f"""SELECT DISTINCT ?s ?p ?entailed WHERE {{ ?s ?p {o}
        BIND(NOT EXISTS {{ GRAPH ?g {{ ?s ?p {o} }} FILTER(?g != <{ENTAILMENTS}>) }} AS ?entailed) }}
        ORDER BY ?p ?s LIMIT {limit}""")
    return [(value(r["s"]), r["p"].value, r["entailed"].value == "true") for r in rows]


def labels(store, terms: set[str]) -> dict[str, str]:
    """An English (or language-less) label for each IRI that has one."""
    if not terms:
        return {}
    values = " ".join(str(node(t)) for t in sorted(terms))
    paths = "|".join(LABEL_PROPERTIES)
    rows = select(store, f"SELECT ?s ?label WHERE {{ VALUES ?s {{ {values} }} ?s {paths} ?label }}")
    ranked: dict[str, tuple[int, str]] = {}
    for row in rows:
        language = row["label"].language or ""
        rank = 0 if language == "en" else 1 if language == "" else 2
        text = row["label"].value
        if row["s"].value not in ranked or (rank, text) < ranked[row["s"].value]:
            ranked[row["s"].value] = (rank, text)
    return {iri: text for iri, (_, text) in ranked.items()}


def members(store, iri: str) -> list[dict]:
    """The partnership's members over time: one row per membership, and members recorded without one.
    ``confirmed`` is the latest akg:lastConfirmed of the membership, else of the partnership (ontology/README.md,
    "Coverage")."""
    p = node(iri)
    rows = select(store, f"""
        SELECT ?member ?membership ?start ?end ?source ?confirmed WHERE {{
          {{ {p} akg:hasMembership ?membership . ?membership akg:member ?member .
             OPTIONAL {{ ?membership akg:startDate ?start }} OPTIONAL {{ ?membership akg:endDate ?end }}
             OPTIONAL {{ ?membership prov:wasDerivedFrom ?source }}
             OPTIONAL {{ SELECT ?membership (MAX(?c) AS ?membershipConfirmed)
                         WHERE {{ {p} akg:hasMembership ?membership . ?membership akg:lastConfirmed ?c }}
                         GROUP BY ?membership }}
             OPTIONAL {{ SELECT (MAX(?pc) AS ?partnershipConfirmed) WHERE {{ {p} akg:lastConfirmed ?pc }} }}
             BIND (COALESCE(?membershipConfirmed, ?partnershipConfirmed) AS ?confirmed) }}
          UNION
          {{ {p} akg:hasMember ?member .
             FILTER NOT EXISTS {{ {p} akg:hasMembership ?m . ?m akg:member ?member }} }}
        }}""")
    return _group_sources(rows, key=("member", "membership"),
                          columns=("member", "membership", "start", "end", "confirmed"))


def scope_conditions(store, iri: str) -> list[dict]:
    rows = select(store, f"""
        SELECT ?condition ?kind ?agreement ?quote WHERE {{
          {node(iri)} akg:hasScopeCondition ?condition .
          OPTIONAL {{ ?condition a ?kind . ?kind rdfs:subClassOf* akg:ScopeCondition }}
          OPTIONAL {{ ?condition akg:declaredIn ?agreement }}
          OPTIONAL {{ ?condition akg:quote ?quote }}
        }}""")
    return _merge(rows, "condition", ("kind", "agreement", "quote"))


def agreements(store, iri: str) -> list[dict]:
    rows = select(store, f"""
        SELECT ?agreement ?relation ?kind ?signed ?start ?end WHERE {{
          VALUES ?relation {{ akg:establishedBy akg:changedBy }}
          {node(iri)} ?relation ?agreement .
          OPTIONAL {{ ?agreement a ?kind . ?kind rdfs:subClassOf akg:Agreement }}
          OPTIONAL {{ ?agreement akg:signedOn ?signed }}
          OPTIONAL {{ ?agreement akg:startDate ?start }}
          OPTIONAL {{ ?agreement akg:endDate ?end }}
        }} ORDER BY ?signed ?start""")
    return _merge(rows, "agreement", ("relation", "kind", "signed", "start", "end"))


def partnerships_of(store, iri: str) -> list[dict]:
    """The partnerships an actor is a member of, with its membership dates where recorded."""
    a = node(iri)
    rows = select(store, f"""
        SELECT ?partnership ?start ?end ?alliance WHERE {{
          ?partnership akg:hasMember {a} .
          OPTIONAL {{ ?partnership akg:hasMembership ?m . ?m akg:member {a} .
                     OPTIONAL {{ ?m akg:startDate ?start }} OPTIONAL {{ ?m akg:endDate ?end }} }}
          BIND(EXISTS {{ ?partnership a akg:Alliance }} AS ?alliance)
        }} ORDER BY ?start""")
    return [_plain(r) for r in rows]


def diffusion_of(store, iri: str) -> list[dict]:
    a = node(iri)
    rows = select(store, f"""
        SELECT ?event ?role ?other ?item ?start ?via WHERE {{
          {{ ?event akg:diffusedFrom {a} . BIND("to" AS ?role) OPTIONAL {{ ?event akg:diffusedTo ?other }} }}
          UNION
          {{ ?event akg:diffusedTo {a} . BIND("from" AS ?role) OPTIONAL {{ ?event akg:diffusedFrom ?other }} }}
          OPTIONAL {{ ?event akg:diffusedItem ?item }}
          OPTIONAL {{ ?event akg:startDate ?start }}
          OPTIONAL {{ ?event akg:viaPartnership ?via }}
        }} ORDER BY ?start ?event""")
    return [_plain(r) for r in rows]


def partners(store, iri: str, today: str) -> list[dict]:
    """The actors sharing a partnership with this one, and those it exchanged military diffusion with;
    diffusion partners first (few, and the picture's dashed lines are their only trace), then by the
    number of shared partnerships (a state in ATOP's many pacts has dozens of partners). `shared_now`
    counts the shared partnerships in force on `today` (an ISO date): not ended, and neither actor's
    memberships of it all ended, so that a page can draw the present apart from two centuries of history."""
    a = node(iri)
    day = f'"{dt.date.fromisoformat(today).isoformat()}"^^xsd:date'

    def left(actor: str) -> str:  # every recorded membership of the actor in ?partnership has ended
        return (f"(EXISTS {{ ?partnership akg:hasMembership ?m . ?m akg:member {actor} }} && NOT EXISTS {{ "
                f"?partnership akg:hasMembership ?m . ?m akg:member {actor} . "
                f"FILTER NOT EXISTS {{ ?m akg:endDate ?e FILTER(?e <= {day}) }} }})")
    rows = select(store, f"""
        SELECT ?partner (COUNT(DISTINCT ?partnership) AS ?shared) (COUNT(DISTINCT ?current) AS ?sharedNow)
               (COUNT(DISTINCT ?event) AS ?diffusion) WHERE {{
          {{ ?partnership akg:hasMember {a}, ?partner .
             BIND(EXISTS {{ ?partnership akg:endDate ?end FILTER(?end <= {day}) }} || {left(str(a))} || {left("?partner")}
                  AS ?ended)
             BIND(IF(?ended, ?none, ?partnership) AS ?current) }}
          UNION
          {{ ?event akg:diffusedFrom|akg:diffusedTo {a} ; akg:diffusedFrom|akg:diffusedTo ?partner . }}
          FILTER(?partner != {a})
        }} GROUP BY ?partner ORDER BY DESC(?diffusion > 0) DESC(?sharedNow) DESC(?shared) ?partner""")
    return [{"partner": r["partner"].value, "shared": int(r["shared"].value), "shared_now": int(r["sharedNow"].value),
             "diffusion": int(r["diffusion"].value)} for r in rows]


def sources(store, iri: str, link: str = "prov:wasDerivedFrom") -> list[dict]:
    """The sources the resource is derived from (or names by another `link`: an ontology term's
    dcterms:source), with title, section, pages, URL and citation."""
    rows = select(store, f"""
        SELECT ?source ?title ?section ?pages ?url ?citation ?whole ?wholeTitle WHERE {{
          {node(iri)} {link} ?source .
          OPTIONAL {{ ?source dcterms:title ?title }}
          OPTIONAL {{ ?source akg:section ?section }}
          OPTIONAL {{ ?source akg:pages ?pages }}
          OPTIONAL {{ ?source akg:url ?url }}
          OPTIONAL {{ ?source dcterms:bibliographicCitation ?citation }}
          OPTIONAL {{ ?source dcterms:isPartOf ?whole . OPTIONAL {{ ?whole dcterms:title ?wholeTitle }} }}
        }} ORDER BY ?source""")
    return _merge(rows, "source", ("title", "section", "pages", "url", "citation", "whole", "wholeTitle"))


def ontology_terms(store, module_graphs: list[str]) -> list[dict]:
    """The terms the given ontology graphs declare, with label, definition, source, parents and examples."""
    graphs = " ".join(str(node(g)) for g in module_graphs)
    rows = select(store, f"""
        SELECT ?term ?kind ?definition ?source ?parent ?domain ?range ?example WHERE {{
          VALUES ?g {{ {graphs} }}
          GRAPH ?g {{ ?term a ?kind }}
          VALUES ?kind {{ owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty owl:NamedIndividual }}
          FILTER(STRSTARTS(STR(?term), "{iris.AKG}"))
          OPTIONAL {{ GRAPH ?g {{ ?term skos:definition ?definition }} }}
          OPTIONAL {{ GRAPH ?g {{ ?term dcterms:source ?source }} }}
          OPTIONAL {{ GRAPH ?g {{ ?term rdfs:subClassOf|rdfs:subPropertyOf ?parent FILTER(isIRI(?parent)) }} }}
          OPTIONAL {{ GRAPH ?g {{ ?term rdfs:domain ?domain FILTER(isIRI(?domain)) }} }}
          OPTIONAL {{ GRAPH ?g {{ ?term rdfs:range ?range FILTER(isIRI(?range)) }} }}
          OPTIONAL {{ GRAPH ?g {{ ?term skos:example ?example }} }}
        }}""")
    return _merge(rows, "term", ("kind", "definition", "source", "parent", "domain", "range", "example"))


def ontology_modules(store) -> list[str]:
    """The named graphs holding the ontology modules."""
    return [g for g in store.graphs() if g.startswith(ONTOLOGY_GRAPHS)]


def _plain(row: dict) -> dict:
    return {k: (v.value == "true" if isinstance(v, ox.Literal) and v.datatype.value.endswith("#boolean")
                else v.value) for k, v in row.items()}


def _merge(rows: list[dict], key: str, columns: tuple[str, ...]) -> list[dict]:
    """Rows of one key folded into one record; each column the sorted list of its distinct values."""
    merged: dict[str, dict] = {}
    for row in rows:
        record = merged.setdefault(row[key].value, {key: row[key].value} | {c: [] for c in columns})
        for column in columns:
            if column in row and row[column].value not in record[column]:
                record[column].append(row[column].value)
    for record in merged.values():
        for column in columns:
            record[column].sort()
    return list(merged.values())


def _group_sources(rows: list[dict], key: tuple[str, ...], columns: tuple[str, ...]) -> list[dict]:
    grouped: dict[tuple, dict] = {}
    for row in rows:
        ident = tuple(row[k].value if k in row else None for k in key)
        record = grouped.setdefault(ident, {c: (row[c].value if c in row else None) for c in columns} | {"sources": []})
        if "source" in row and row["source"].value not in record["sources"]:
            record["sources"].append(row["source"].value)
    return list(grouped.values())
