"""Blueprint: /check, the current consistency and data-rule report of the graph being served."""
from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, jsonify, request
from rdflib import Graph

from service.store.oxigraph import OxigraphStore
from service.graph.writes import asserted_quads

bp = Blueprint("reports", __name__)
_lock = threading.Lock()


def current_report():
    """The report for the graph as it is now: recomputed when the graph has changed since the last
    one (HermiT takes seconds), on a copy, so that queries go on meanwhile."""
    store = current_app.extensions["alliance_kg.store"]
    directory = getattr(store, "directory", None)
    if directory is not None:
        from service.store.on_disk import current_generation
        generation = current_generation(directory)  # each write makes a new one
    else:
        generation = len(store)
    cached = current_app.extensions.get("alliance_kg.check_report")
    if cached and cached[0] == generation:
        return cached[1]
    with _lock:
        cached = current_app.extensions.get("alliance_kg.check_report")
        if cached and cached[0] == generation:
            return cached[1]
        from service.reasoning.check import SHAPES_FILE, check_store  # here: its imports (pySHACL, owlready2) cost 0.9 s of start-up
        copy = OxigraphStore()
        copy.add_quads(asserted_quads(store))
        shapes = Graph().parse(str(current_app.config["ONTOLOGY_DIR"] / SHAPES_FILE), format="turtle")
        report = check_store(copy, shapes)
        current_app.extensions["alliance_kg.check_report"] = (generation, report)
        return report


@bp.route("/check")
def check():
    report = current_report()
    best = request.accept_mimetypes.best_match(["application/json", "text/plain"], default="application/json")
    if request.args.get("format") == "text" or best == "text/plain":
        return Response(report.as_text(), mimetype="text/plain")
    return jsonify(report.as_dict())
