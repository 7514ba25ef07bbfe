"""The project's IRI scheme in one place (documented in ontology/README.md)."""

BASE = "https://w3id.org/alliance-kg/"
ONTOLOGY = BASE + "ontology"
AKG = ONTOLOGY + "#"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
ENTAILMENTS_GRAPH = GRAPH + "entailments"

PREFIXES = {
    "akg": AKG,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "wd": "http://www.wikidata.org/entity/",
    "state": ID + "state/",
    "partnership": ID + "partnership/",
    "agreement": ID + "agreement/",
    "membership": ID + "membership/",
    "source": ID + "source/",
}


def ontology_graph(module: str) -> str:
    return f"{GRAPH}ontology/{module}"


def data_graph(name: str) -> str:
    return f"{GRAPH}data/{name}"


def compact(iri: str) -> str:
    """The IRI as prefix:name where one of the project's prefixes covers it, else unchanged."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def sparql_prologue() -> str:
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
