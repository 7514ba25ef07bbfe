"""The SPARQL 1.1 Service Description that `GET /sparql` without a query returns (Turtle, RDF/XML, ...)."""
from __future__ import annotations

from flask import Response, current_app, redirect, request, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from service.store import negotiation

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")
OFFERED = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld",
           "application/n-triples": "nt"}
RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "JSON-LD", "RDF_XML", "N-Triples"]


def describe(endpoint: str, writable: bool) -> Graph:
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("formats", FORMATS)
    graph.bind("ent", ENTAILMENT)
    service = URIRef(endpoint)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if writable:
        graph.add((service, SD.supportedLanguage, SD.SPARQL11Update))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    if current_app.config.get("ALLOWED_SERVICES"):
        graph.add((service, SD.feature, SD.BasicFederatedQuery))  # only to endpoints on the allow list
    # the OWL 2 RL subset the project materialises (see service/reasoning/entailment.py)
    graph.add((service, SD.defaultEntailmentRegime, ENTAILMENT.RDFS))
    graph.add((service, SD.defaultSupportedEntailmentProfile, URIRef("http://www.w3.org/ns/owl-profile/RL")))
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    for name in ("Turtle", "RDF_XML", "N-Triples", "JSON-LD", "N-Quads", "TriG"):
        graph.add((service, SD.inputFormat, FORMATS[name]))
    dataset = BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    default_graph = BNode()
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    store = current_app.extensions["alliance_kg.store"]
    graph.add((default_graph, URIRef("http://rdfs.org/ns/void#triples"), Literal(len(store), datatype=XSD.integer)))
    for name in store.graphs():
        named = BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
    return graph


def response() -> Response:
    offered = list(OFFERED)
    # A browser following the header's link asks for HTML first: it gets the query UI, not a download.
    # Last in the list, so that */* alone (curl, SPARQL clients) still gets Turtle.
    if request.accept_mimetypes.best_match(offered + ["text/html"]) == "text/html":
        moved = redirect(url_for("ui.index"), code=303)
        moved.headers["Vary"] = "Accept"
        return moved
    media_type = negotiation.choose(offered, request.accept_mimetypes, request.args.get("format"), True)
    if media_type is None:
        return Response(f"The service description is offered as {', '.join(offered)}.\n", status=406,
                        mimetype="text/plain")
    graph = describe(request.base_url, bool(current_app.config.get("WRITE_KEY")))
    return Response(graph.serialize(format=OFFERED[media_type], encoding="utf-8"),
                    content_type=media_type + "; charset=utf-8", headers={"Vary": "Accept"})
