"""Blueprint: linked data. Every IRI under /id/ and the ontology dereference by content negotiation.

A request path is read as an IRI under the configured PUBLIC_BASE (https://w3id.org/alliance-kg/ by
default), so the service answers for those IRIs when deployed behind that name; the pages link to
the local server path of each IRI, so browsing works on localhost too.
"""
from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, redirect, render_template, request

from service.graph import describe
from service import iris
from service.store import negotiation
from service.web import pages
from service.store.oxigraph import GRAPH_FORMATS

bp = Blueprint("resources", __name__)

HTML = "text/html"
OFFERED = [HTML, "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
FORMAT_NAMES = {"html": HTML, "htm": HTML} | {
    name: media for name, media in negotiation.FORMAT_NAMES.items() if media in OFFERED}
FORMAT_NAMES |= {"json": "application/ld+json"}
SERVED_PATHS = ("id/", "ontology")


def public_base() -> str:
    return current_app.config.get("PUBLIC_BASE", iris.BASE)


def current_store():
    return current_app.extensions["alliance_kg.store"]


def local_href(iri: str) -> str:
    """The local path of an IRI this service serves; any other IRI as it is."""
    base = public_base()
    if iri.startswith(base) and iri[len(base):].startswith(SERVED_PATHS):
        return request.script_root + "/" + iri[len(base):]
    return iri


@bp.app_context_processor
def helpers():
    return {"href": local_href, "curie": pages.curie, "AKG": iris.AKG}


def text_error(status: int, message: str) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


def choose_format() -> str | Response:
    """The media type to answer in, from ?format= or Accept, or a 406 response naming the choices."""
    name = request.args.get("format")
    if name is not None:
        media = FORMAT_NAMES.get(name.lower(), name.lower())
        if media in OFFERED:
            return media
        return text_error(406, f"Unknown format {name!r}: use one of {', '.join(sorted(FORMAT_NAMES))}.")
    if not request.accept_mimetypes:
        return HTML
    # a client asking for JSON, XML or plain text of a resource gets the RDF flavour of it, as at /sparql
    best = request.accept_mimetypes.best_match(OFFERED + list(negotiation.GRAPH_EQUIVALENTS))
    if best is None:
        return text_error(406, f"None of the requested media types can be produced; offered: {', '.join(OFFERED)}.")
    return negotiation.GRAPH_EQUIVALENTS.get(best, best)


def rdf_response(triples: list[ox.Triple], media: str) -> Response:
    body = ox.serialize(triples, format=GRAPH_FORMATS[media], prefixes=iris.PREFIXES)
    return Response(body, content_type=media + "; charset=utf-8", headers={"Vary": "Accept"})


def html_response(template: str, **context) -> Response:
    body = render_template(template, formats=FORMAT_NAMES, **context)
    return Response(body, content_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


def not_described(iri: str) -> Response:
    return text_error(404, f"The graph says nothing about <{iri}>. Resources are listed by "
                           f"SPARQL at {request.script_root}/sparql.")


@bp.route("/id/<kind>/<path:key>")
def entity(kind: str, key: str):
    return resource(public_base() + f"id/{kind}/{key}")


@bp.route("/ontology")
def ontology():
    return ontology_document(describe.ontology_modules(current_store()), title_module=None)


@bp.route("/ontology/<path:name>")
def ontology_part(name: str):
    """An ontology module (/ontology/core), or any other resource under the ontology IRI (its version IRI)."""
    module = iris.ontology_graph(name)
    if module in describe.ontology_modules(current_store()):
        return ontology_document([module], title_module=name)
    return resource(public_base() + f"ontology/{name}")


def resource(iri: str):
    """The resource's page or RDF; a retired IRI answers 301 with the IRI it was merged into."""
    media = choose_format()
    if isinstance(media, Response):
        return media
    store = current_store()
    try:
        target = describe.merged_into(store, iri)
        if target is not None:
            # a retired IRI (e.g. ATOP's record of an alliance the curated record also holds): one alliance, one IRI
            query = request.query_string.decode()
            return redirect(local_href(target) + ("?" + query if query else ""), code=301)
        if not describe.exists(store, iri):
            return not_described(iri)
    except ValueError:
        return text_error(404, f"Not a valid IRI: {iri!r}.")
    if media != HTML:
        return rdf_response(describe.triples(store, iri), media)
    return html_response("resource.html", **pages.entity_page(store, iri))


def ontology_document(modules: list[str], title_module: str | None):
    media = choose_format()
    if isinstance(media, Response):
        return media
    store = current_store()
    if not modules:
        return not_described(public_base() + "ontology")
    if media != HTML:
        return rdf_response(describe.graph_triples(store, modules), media)
    iri = public_base() + "ontology" + (f"/{title_module}" if title_module else "")
    return html_response("ontology.html", **pages.ontology_page(store, modules, iri))


