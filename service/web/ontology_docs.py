"""Ontology documentation: the OWL of ontology/ rendered to one HTML page with pyLODE.

pyLODE documents one ontology; ours is a header importing modules, so the modules it imports are
merged into the header's graph first (their own owl:Ontology headers dropped, the import closure kept
as one document). Every class and property then appears with its label, definition, source section
and examples (skos:example), as ontology/README.md requires of each term.

The page is never committed: it is made from the ontology the store holds (what /ontology serves), on
the first request after the ontology changed (`current_page`), or by `alliance-kg docs`. Each page
carries the digest of the ontology it was made from, so a page made from another ontology is replaced.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from rdflib import OWL, RDF, SKOS, Graph, Literal, URIRef
from rdflib.compare import to_isomorphic

from service import iris
from service.config import PROJECT_ROOT

DEFAULT_OUTPUT = PROJECT_ROOT / "docs" / "ontology" / "index.html"
HEADER_FILE = "alliance-kg.ttl"
STAMP = "<!-- alliance-kg ontology digest: %s -->\n"


class DocsError(RuntimeError):
    pass


def _module_name(module_iri) -> str:
    """The loader's mapping of an imported module's IRI to its file and graph: its last path segment."""
    return str(module_iri).rstrip("/").rsplit("/", 1)[-1]


def merged_ontology(ontology_dir: Path) -> Graph:
    """The header file and the files of the modules it imports (shapes.ttl, not imported, left out)."""
    graph = Graph()
    names = [HEADER_FILE]
    while names:
        path = ontology_dir / names.pop(0)
        if not path.is_file():
            raise DocsError(f"missing ontology module {path}")
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises several parser exceptions; name the file
            raise DocsError(f"cannot parse {path}: {error}") from None
        if path.name == HEADER_FILE:
            names += [_module_name(m) + ".ttl" for m in graph.objects(URIRef(iris.ONTOLOGY), OWL.imports)]
    return _one_document(graph)


def stored_ontology(store) -> Graph:
    """The same merge from the store's ontology graphs: the ontology the endpoint and /ontology answer with."""
    header_graph = iris.ontology_graph(Path(HEADER_FILE).stem)
    header = _construct(store, [header_graph])
    if (URIRef(iris.ONTOLOGY), RDF.type, OWL.Ontology) not in header:
        raise DocsError(f"the store holds no ontology header (graph {header_graph})")
    modules = [iris.ontology_graph(_module_name(m)) for m in header.objects(URIRef(iris.ONTOLOGY), OWL.imports)]
    return _one_document(header + _construct(store, modules))


def _construct(store, graphs: list[str]) -> Graph:
    data = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graphs=graphs).serialize("application/n-triples")
    return Graph().parse(data=data, format="nt")


def _one_document(graph: Graph) -> Graph:
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


def digest(ontology: Graph, data_generation=None) -> str:
    """A digest of the ontology's statements, blank nodes included, independent of order and syntax; with
    the store's generation, since the page's examples come from the data."""
    return f"{to_isomorphic(ontology).graph_digest():x}" + ("" if data_generation is None else f" data {data_generation}")


def render(ontology: Graph, store=None) -> str:
    """The HTML page, stamped with the digest of the ontology (taken before the data examples are added)."""
    OntPub = pylode()
    stamp = STAMP % digest(ontology, None if store is None else data_generation(store))
    if store is not None:
        add_data_examples(ontology, store)
    return stamp + OntPub(ontology=ontology, sort_subjects=True).make_html()


def _write(html: str, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    partial.write_text(html, encoding="utf-8")
    partial.replace(output)


def build(ontology_dir: Path, output: Path = DEFAULT_OUTPUT, store=None) -> Path:
    """Write the HTML documentation to `output` (atomically) and return it: from the store's ontology when
    there is a store (with data examples), else from the files of ontology_dir."""
    ontology = stored_ontology(store) if store is not None else merged_ontology(ontology_dir)
    _write(render(ontology, store), output)
    return output


_lock = threading.Lock()
_kept: dict[str, str] = {}


def current_page(store, output: Path = DEFAULT_OUTPUT) -> str:
    """The page for the store's ontology: the one at `output` if it was made from this very ontology and
    data, else made now (a second or two) and written there; kept in memory where `output` cannot be written."""
    key = (str(output), id(store), data_generation(store))
    with _lock:
        if key in _kept:
            return _kept[key]
        ontology = stored_ontology(store)
        stamp = STAMP % digest(ontology, key[2])
        try:
            html = output.read_text(encoding="utf-8") if output.is_file() else ""
        except OSError:
            html = ""
        if not html.startswith(stamp):
            html = render(ontology, store)
            try:
                _write(html, output)
            except OSError:
                pass  # a read-only install: the page is served from memory
        _kept.clear()
        _kept[key] = html
        return html


def data_generation(store):
    """What changes when the store is written: its on-disk generation, else its size."""
    directory = getattr(store, "directory", None)
    if directory is not None:
        from service.store.on_disk import current_generation
        return current_generation(directory)
    return len(store)
