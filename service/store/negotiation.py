"""Which media type to answer in: the `format` parameter if given, else the Accept header."""
from __future__ import annotations

from werkzeug.datastructures import MIMEAccept

# Short names that SPARQLWrapper and browsers put in `format`/`output` parameters.
FORMAT_NAMES = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ttl": "text/turtle",
    "n3": "text/turtle",
    "json-ld": "application/ld+json",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
}
# A client asking for JSON or XML of a graph means the RDF flavour of it.
GRAPH_EQUIVALENTS = {
    "application/sparql-results+json": "application/ld+json",
    "application/json": "application/ld+json",
    "application/sparql-results+xml": "application/rdf+xml",
    "application/xml": "application/rdf+xml",
    "text/plain": "application/n-triples",
}
BINDINGS_EQUIVALENTS = {"application/json": "application/sparql-results+json",
                        "application/xml": "application/sparql-results+xml"}


def choose(offered: list[str], accept: MIMEAccept, format_name: str | None, graph: bool) -> str | None:
    """The media type to answer in, or None when nothing the client accepts is offered."""
    equivalents = GRAPH_EQUIVALENTS if graph else BINDINGS_EQUIVALENTS
    if format_name:
        wanted = FORMAT_NAMES.get(format_name.lower(), format_name.lower())
        wanted = equivalents.get(wanted, wanted)
        if wanted in offered:
            return wanted
    if not accept:
        return offered[0]
    # "text/turtle; charset=utf-8" asks for Turtle: parameters other than q do not narrow the choice
    accept = MIMEAccept([(value.split(";")[0].strip(), quality) for value, quality in accept])
    best = accept.best_match(offered + list(equivalents))
    if best is None:
        return None
    return equivalents.get(best, best)
