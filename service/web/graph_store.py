"""Blueprint: the SPARQL 1.1 Graph Store HTTP Protocol at /rdf-graphs.

Direct identification: /rdf-graphs/{anything} is the graph whose IRI is that URL.
Indirect identification: /rdf-graphs?graph=IRI or /rdf-graphs?default (the store's default graph).
GET and HEAD are open to all; PUT (replace), POST (merge; on /rdf-graphs alone, create a new graph
and answer with its Location) and DELETE need the write key, and go through the same checked,
all-or-nothing path as SPARQL Update (service/graph/writes.py).
"""
from __future__ import annotations

import itertools
import uuid

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from service import iris
from service.store import negotiation, xml_guard
from service.web.sparql import current_store, error, refused
from service.store.oxigraph import GRAPH_FORMATS
from service.graph.writes import WriteRefused, refuse_reserved
from service.web.key_limit import authorise_request
from service.web.linked_data import public_base

bp = Blueprint("graph_store", __name__)
METHODS = ["GET", "PUT", "POST", "DELETE"]  # Flask answers HEAD as GET without the body
ROOT = "/rdf-graphs"


class BadGraphRequest(ValueError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@bp.route(ROOT, methods=METHODS)
def indirect() -> Response:
    graphs, default = request.args.getlist("graph"), "default" in request.args
    if len(graphs) > 1 or (graphs and default):
        return error(400, "Name one graph: either ?graph=IRI or ?default.")
    if not graphs and not default:
        if request.method == "POST":
            return _write(f"{public_base().rstrip('/')}{ROOT}/{uuid.uuid4()}", new_graph=True)
        return error(400, "Name a graph with ?graph=IRI or ?default (or use /rdf-graphs/... directly).")
    graph = "" if default else graphs[0]
    if graph and not _is_iri(graph):
        return error(400, f"?graph must be an absolute IRI, not {graph!r}.")
    return _read(graph) if request.method in ("GET", "HEAD") else _write(graph)


@bp.route(f"{ROOT}/<path:_name>", methods=METHODS)
def direct(_name: str) -> Response:
    graph = public_url()
    if not _is_iri(graph):
        return error(400, f"The path does not make an IRI ({graph!r}): percent-encode the characters an IRI "
                          "may not hold.")
    return _read(graph) if request.method in ("GET", "HEAD") else _write(graph)


def public_url() -> str:
    """The request's path under PUBLIC_BASE: the IRI a graph is stored under never comes from the
    client's Host header (which anyone can set, and which used to name the graphs written)."""
    path = request.base_url[len(request.root_url.rstrip("/")):]  # percent-encoded as werkzeug reads it
    return public_base().rstrip("/") + path


def _is_iri(value: str) -> bool:
    """An absolute IRI as the engine accepts one (its own check, so no odd URL reaches it as a 500)."""
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def _read(graph: str) -> Response:
    store = current_store()
    if not store.has_graph(graph):
        return error(404, f"No graph named <{graph}> in this store.")
    offered = list(GRAPH_FORMATS)
    media_type = negotiation.choose(offered, request.accept_mimetypes, request.args.get("format"), True)
    if media_type is None:
        return error(406, f"None of the requested media types can be produced; offered: {', '.join(offered)}.")
    limit, max_bytes = current_app.config["MAX_RESULT_ROWS"], current_app.config["MAX_RESULT_BYTES"]
    # at most one triple past the limit is read: a large graph costs no more than the limit
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in itertools.islice(store.quads(graph), limit + 1)]
    if len(triples) > limit:
        return error(422, f"The graph has more than {limit} triples, this endpoint's limit (ALLIANCE_KG_MAX_RESULT_ROWS): "
                          "read it in pages with CONSTRUCT ... LIMIT and OFFSET at /sparql.")
    body = ox.serialize(triples, format=GRAPH_FORMATS[media_type])
    if len(body) > max_bytes:
        return error(422, f"The graph is larger than {max_bytes} bytes, this endpoint's limit "
                          "(ALLIANCE_KG_MAX_RESULT_BYTES): read it in pages with CONSTRUCT ... LIMIT and OFFSET at /sparql.")
    return Response(body, content_type=media_type + "; charset=utf-8", headers={"Vary": "Accept"})


def _parse_body(graph: str) -> list[ox.Triple]:
    """The triples of the request body (or of each part of a multipart/form-data body)."""
    if request.mimetype == "multipart/form-data":
        parts = [(f.mimetype, f.read()) for f in request.files.values()]
        if not parts:
            raise BadGraphRequest(400, "The multipart body holds no files.")
    else:
        parts = [(request.mimetype, request.get_data())]
    triples: list[ox.Triple] = []
    for media_type, data in parts:
        try:
            fmt = ox.RdfFormat.from_media_type(media_type or "")
        except ValueError:
            fmt = None
        if fmt is None or (fmt.supports_datasets and fmt != ox.RdfFormat.JSON_LD):
            raise BadGraphRequest(415, f"Unsupported content type {media_type or '(none)'}: send one graph as "
                                       f"{', '.join(GRAPH_FORMATS)}.")
        if fmt == ox.RdfFormat.RDF_XML:
            try:
                xml_guard.check(data)
            except xml_guard.XmlRefused as refused_xml:
                raise BadGraphRequest(400, str(refused_xml)) from None
        try:
            parsed = list(ox.parse(data, format=fmt, base_iri=graph or iris.BASE, rename_blank_nodes=True))
        except SyntaxError as syntax:
            raise BadGraphRequest(400, f"The {media_type} body could not be parsed: {syntax}") from None
        if any(not isinstance(q.graph_name, ox.DefaultGraph) for q in parsed):
            raise BadGraphRequest(400, "The body names graphs of its own; a graph store request carries one graph.")
        triples.extend(ox.Triple(q.subject, q.predicate, q.object) for q in parsed)
    return triples


def _write(graph: str, new_graph: bool = False) -> Response:
    try:
        authorise_request()
        refuse_reserved(graph)
        triples = _parse_body(graph) if request.method in ("PUT", "POST") else []
    except WriteRefused as refusal:
        return refused(refusal)
    except BadGraphRequest as bad:
        return error(bad.status, str(bad))
    method = request.method

    def change(scratch):
        existed = scratch.has_graph(graph)
        if method == "DELETE":
            if not existed:
                raise BadGraphRequest(404, f"No graph named <{graph}> in this store.")
            scratch.remove_graph(graph)
            return existed
        node = ox.DefaultGraph() if graph == "" else ox.NamedNode(graph)
        if method == "PUT" and existed:
            scratch.remove_graph(graph)
        scratch.add_graph(graph)
        scratch.add_quads(ox.Quad(t.subject, t.predicate, t.object, node) for t in triples)
        return existed

    try:
        result = current_app.extensions["alliance_kg.writer"].apply(change, {graph})
    except WriteRefused as refusal:
        return refused(refusal)
    except BadGraphRequest as bad:
        return error(bad.status, str(bad))
    if not result.outcome and method != "DELETE":
        headers = {"Location": graph} if new_graph else None  # the new graph's IRI, under PUBLIC_BASE
        return Response(status=201, headers=headers)
    return Response(status=204)
