"""The ontology's own terms (akg: classes and properties) with their label and definition, for the query
editor's autocompletion (/ui/terms.json).

Read from the store's ontology graphs, not from the files, so the list is the ontology the endpoint
answers with; kept until the graph changes (a new on-disk generation or a different size).
"""
from __future__ import annotations

import threading

from service import iris
from service.web.ontology_docs import data_generation

KINDS = {"http://www.w3.org/2002/07/owl#Class": "class",
         "http://www.w3.org/2002/07/owl#ObjectProperty": "object property",
         "http://www.w3.org/2002/07/owl#DatatypeProperty": "datatype property",
         "http://www.w3.org/2002/07/owl#AnnotationProperty": "annotation property"}

# One row per term and type; a term's English label and definition are preferred, an untagged one
# is taken if that is all there is.
TERMS_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?term ?type (SAMPLE(?l) AS ?label) (SAMPLE(?d) AS ?definition) WHERE {
  VALUES ?type { %(types)s }
  GRAPH ?g { ?term a ?type }
  FILTER (STRSTARTS(STR(?g), "%(graphs)s") && STRSTARTS(STR(?term), "%(akg)s"))
  OPTIONAL { GRAPH ?g1 { ?term rdfs:label ?l } FILTER (LANGMATCHES(LANG(?l), "en") || LANG(?l) = "") }
  OPTIONAL { GRAPH ?g2 { ?term skos:definition ?d } FILTER (LANGMATCHES(LANG(?d), "en") || LANG(?d) = "") }
} GROUP BY ?term ?type
""" % {"types": " ".join(f"<{t}>" for t in KINDS), "graphs": iris.ontology_graph(""), "akg": iris.AKG}

_lock = threading.Lock()
_cache: dict = {}


def terms(store) -> list[dict]:
    """[{"iri", "prefixed", "kind", "label", "definition"}], sorted by prefixed name; a term typed both
    as an annotation and another kind keeps the other."""
    found: dict[str, dict] = {}
    for row in store.query(TERMS_QUERY).rows():
        iri = row["term"].value
        kind = KINDS[row["type"].value]
        label = row["label"].value if row.get("label") is not None else ""
        definition = row["definition"].value if row.get("definition") is not None else ""
        if iri in found and kind == "annotation property":
            continue
        found[iri] = {"iri": iri, "prefixed": iris.compact(iri), "kind": kind, "label": label,
                      "definition": definition}
    return sorted(found.values(), key=lambda t: t["prefixed"].lower())


def cached_terms(store) -> list[dict]:
    key = (id(store), data_generation(store))
    with _lock:
        if _cache.get("key") != key:
            _cache["terms"], _cache["key"] = terms(store), key
        return _cache["terms"]
