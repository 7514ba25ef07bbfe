"""Ontology documentation: the OWL of ontology/ rendered to one HTML page with pyLODE.

pyLODE documents one ontology; ours is a header importing three modules, so the modules are merged
into the header's graph first (their own owl:Ontology headers dropped, the import closure kept as
one document). Every class and property then appears with its label, definition, source section
and examples (skos:example), as ontology/README.md requires of each term.
"""
from __future__ import annotations

import logging
from pathlib import Path

from rdflib import OWL, RDF, SKOS, Graph, Literal, URIRef

from service import iris
from service.config import PROJECT_ROOT

DEFAULT_OUTPUT = PROJECT_ROOT / "docs" / "ontology" / "index.html"
MODULES = ("alliance-kg.ttl", "core.ttl", "framework.ttl", "alignments.ttl")


class DocsError(RuntimeError):
    pass


def merged_ontology(ontology_dir: Path) -> Graph:
    graph = Graph()
    for name in MODULES:
        path = ontology_dir / name
        if not path.is_file():
            raise DocsError(f"missing ontology module {path}")
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises several parser exceptions; name the file
            raise DocsError(f"cannot parse {path}: {error}") from None
    header = URIRef(iris.ONTOLOGY)
    for module in list(graph.subjects(RDF.type, OWL.Ontology)):
        if module != header:
            graph.remove((module, None, None))
    graph.remove((header, OWL.imports, None))
    return graph


CLASS_EXAMPLES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term (SAMPLE(?count) AS ?n) (GROUP_CONCAT(?label; separator="; ") AS ?labels) WHERE {
  { SELECT ?term (COUNT(DISTINCT ?x) AS ?count) WHERE { ?x a ?term FILTER STRSTARTS(STR(?x), "%(id)s") } GROUP BY ?term }
  { SELECT ?term (MIN(?x) AS ?x1) WHERE { ?x a ?term FILTER STRSTARTS(STR(?x), "%(id)s") } GROUP BY ?term }
  ?x1 rdfs:label ?label .
  FILTER STRSTARTS(STR(?term), "%(akg)s")
} GROUP BY ?term
""" % {"id": iris.ID, "akg": iris.AKG}
PROPERTY_EXAMPLES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term (MIN(?statement) AS ?example) (COUNT(*) AS ?n) WHERE {
  ?s ?term ?o .
  FILTER (STRSTARTS(STR(?term), "%(akg)s") && STRSTARTS(STR(?s), "%(id)s"))
  ?s rdfs:label ?sLabel .
  OPTIONAL { ?o rdfs:label ?oLabel }
  BIND (CONCAT(?sLabel, " -> ", COALESCE(?oLabel, STR(?o))) AS ?statement)
} GROUP BY ?term
""" % {"id": iris.ID, "akg": iris.AKG}


def add_data_examples(ontology: Graph, store) -> None:
    """A skos:example per term saying how the shipped data (entailments included) uses it."""
    for row in store.query(CLASS_EXAMPLES).rows():
        ontology.add((URIRef(row["term"].value), SKOS.example,
                      Literal(f"In the data: {_count(row['n'].value, 'instance')}, e.g. {row['labels'].value.split('; ')[0]}",
                              lang="en")))
    for row in store.query(PROPERTY_EXAMPLES).rows():
        ontology.add((URIRef(row["term"].value), SKOS.example,
                      Literal(f"In the data: {_count(row['n'].value, 'statement')}, e.g. {row['example'].value}", lang="en")))


def _count(number: str, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == "1" else "s")


def pylode():
    """pyLODE's OntPub. Importing pyLODE sets the root logger to DEBUG with a handler of its own, which
    floods the console with every library's debug lines (asyncio's first): the logging set-up is put
    back as it was."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        from pylode import OntPub
    except ModuleNotFoundError as error:
        raise DocsError(f"pyLODE is not installed ({error.name} is missing); install the docs extra: "
                        "pip install -e '.[docs]'") from None
    finally:
        root.setLevel(level)
        for handler in set(root.handlers) - set(handlers):
            root.removeHandler(handler)
    return OntPub


def build(ontology_dir: Path, output: Path = DEFAULT_OUTPUT, store=None) -> Path:
    """Write the HTML documentation to `output` (atomically) and return it; with a store, with data examples."""
    OntPub = pylode()
    ontology = merged_ontology(ontology_dir)
    if store is not None:
        add_data_examples(ontology, store)
    html = OntPub(ontology=ontology, sort_subjects=True).make_html()
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    partial.write_text(html, encoding="utf-8")
    partial.replace(output)
    return output
