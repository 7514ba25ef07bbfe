"""Blueprint: linked data. Every IRI under /id/ and the ontology dereference by content negotiation.

A request path is read as an IRI under the configured PUBLIC_BASE (https://w3id.org/alliance-kg/ by
default), so the service answers for those IRIs when deployed behind that name; the pages link to
the local server path of each IRI, so browsing works on localhost too.
"""
from __future__ import annotations

import math

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from . import describe, iris, negotiation
from .store import GRAPH_FORMATS

bp = Blueprint("resources", __name__)

HTML = "text/html"
OFFERED = [HTML, "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
FORMAT_NAMES = {"html": HTML, "htm": HTML} | {
    name: media for name, media in negotiation.FORMAT_NAMES.items() if media in OFFERED}
FORMAT_NAMES |= {"json": "application/ld+json"}
SERVED_PATHS = ("id/", "ontology")
AKG = iris.AKG
PARTNERSHIP, ACTOR = AKG + "SecurityPartnership", AKG + "Actor"
LINKS_OUT = {iris.PREFIXES["owl"] + "sameAs", AKG + "atopId", AKG + "cowCode", AKG + "iso3"}
NETWORK_LIMIT = 48
TERM_KINDS = ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "NamedIndividual")


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


def curie(iri: str) -> str:
    """A short name for an IRI: prefix:local where a project prefix fits, else the IRI."""
    for prefix, namespace in sorted(iris.PREFIXES.items(), key=lambda item: -len(item[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


@bp.app_context_processor
def helpers():
    return {"href": local_href, "curie": curie, "AKG": AKG}


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
    best = request.accept_mimetypes.best_match(OFFERED + ["application/json", "text/plain"]) \
        if request.accept_mimetypes else HTML
    if best is None:
        return text_error(406, f"None of the requested media types can be produced; offered: {', '.join(OFFERED)}.")
    return {"application/json": "application/ld+json", "text/plain": "application/n-triples"}.get(best, best)


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
    media = choose_format()
    if isinstance(media, Response):
        return media
    store = current_store()
    try:
        if not describe.exists(store, iri):
            return not_described(iri)
    except ValueError:
        return text_error(404, f"Not a valid IRI: {iri!r}.")
    if media != HTML:
        return rdf_response(describe.triples(store, iri), media)
    return html_response("resource.html", **entity_page(store, iri))


def ontology_document(modules: list[str], title_module: str | None):
    media = choose_format()
    if isinstance(media, Response):
        return media
    store = current_store()
    if not modules:
        return not_described(public_base() + "ontology")
    if media != HTML:
        return rdf_response(describe.graph_triples(store, modules), media)
    terms = describe.ontology_terms(store, modules)
    names = describe.labels(store, {t["term"] for t in terms} | _referenced(terms))
    groups = {kind: [t for t in terms if iris.PREFIXES["owl"] + kind in t["kind"]] for kind in TERM_KINDS}
    for members in groups.values():
        members.sort(key=lambda t: names.get(t["term"], t["term"]).lower())
    iri = public_base() + "ontology" + (f"/{title_module}" if title_module else "")
    header = describe.statements(store, iri)[2] if describe.exists(store, iri) else []
    header_names = describe.labels(store, {v.value for s in header for v, _ in s.values if v.is_iri}
                                   | {s.predicate for s in header})
    return html_response("ontology.html", iri=iri, module=title_module, groups=groups, labels=names | header_names,
                         header=header, modules=sorted(m.rsplit("/", 1)[1] for m in describe.ontology_modules(store)))


def _referenced(terms: list[dict]) -> set[str]:
    return {iri for t in terms for column in ("parent", "domain", "range", "source") for iri in t[column]}


def entity_page(store, iri: str) -> dict:
    """Everything the HTML page of one resource shows."""
    asserted_types, entailed_types, statements = describe.statements(store, iri)
    all_types = {t.value for t in asserted_types + entailed_types}
    page = {"iri": iri, "asserted_types": asserted_types, "entailed_types": entailed_types,
            "links_out": [s for s in statements if s.predicate in LINKS_OUT],
            "statements": sorted((s for s in statements if s.predicate not in LINKS_OUT),
                                 key=lambda s: (s.predicate != iris.PREFIXES["rdfs"] + "label", curie(s.predicate))),
            "sources": describe.sources(store, iri), "incoming": describe.incoming(store, iri),
            "members": [], "scope_conditions": [], "agreements": [], "partnerships": [], "diffusion": [],
            "network": None}
    if PARTNERSHIP in all_types:
        page["members"] = describe.members(store, iri)
        page["scope_conditions"] = describe.scope_conditions(store, iri)
        page["agreements"] = describe.agreements(store, iri)
    if ACTOR in all_types:
        page["partnerships"] = describe.partnerships_of(store, iri)
        page["diffusion"] = describe.diffusion_of(store, iri)
    mentioned = _mentioned(page, all_types)
    names = describe.labels(store, mentioned)
    if ACTOR in all_types:
        page["network"] = network_picture(iri, describe.partners(store, iri), names, store)
    page["labels"] = names
    page["members"].sort(key=lambda m: (m["start"] or "9999", names.get(m["member"], m["member"])))
    for statement in page["statements"]:
        statement.values.sort(key=lambda pair: names.get(pair[0].value, pair[0].value))
    page["label"] = names.get(iri) or iri.rsplit("/", 1)[-1]
    return page


def _mentioned(page: dict, types: set[str]) -> set[str]:
    """Every IRI the page names, so that one query fetches all their labels."""
    found = {page["iri"]} | types
    for statement in page["statements"] + page["links_out"]:
        found.add(statement.predicate)
        found |= {v.value for v, _ in statement.values if v.is_iri}
    found |= {s.value for s, _ in page["incoming"] if s.is_iri} | {p for _, p in page["incoming"]}
    for rows in (page["members"], page["partnerships"], page["diffusion"]):
        for row in rows:
            found |= {v for k, v in row.items() if isinstance(v, str) and v.startswith(("http://", "https://"))}
            found |= set(row.get("sources", []))
    for rows in (page["scope_conditions"], page["agreements"], page["sources"]):
        for row in rows:
            found |= {v for vs in row.values() for v in (vs if isinstance(vs, list) else [vs])
                      if isinstance(v, str) and v.startswith(("http://", "https://"))}
    return found


def network_picture(center: str, partners: list[dict], names: dict, store) -> dict | None:
    """A radial picture: the actor in the middle, its partners on a circle, line width by shared partnerships."""
    if not partners:
        return None
    shown = partners[:NETWORK_LIMIT]
    names = names | describe.labels(store, {p["partner"] for p in shown} - set(names))
    size, radius = 640, 230
    middle = size / 2
    nodes = []
    for index, partner in enumerate(shown):
        angle = 2 * math.pi * index / len(shown) - math.pi / 2
        x, y = middle + radius * math.cos(angle), middle + radius * math.sin(angle)
        nodes.append({"iri": partner["partner"], "label": names.get(partner["partner"], curie(partner["partner"])),
                      "x": round(x, 1), "y": round(y, 1), "shared": partner["shared"],
                      "diffusion": partner["diffusion"], "anchor": "start" if math.cos(angle) >= 0 else "end",
                      "label_x": round(middle + (radius + 12) * math.cos(angle), 1),
                      "label_y": round(middle + (radius + 12) * math.sin(angle) + 4, 1)})
    return {"size": size, "middle": middle, "center": center, "nodes": nodes,
            "hidden": len(partners) - len(shown), "label": names.get(center, curie(center))}
