"""Blueprint: /check, the current consistency and data-rule report of the graph being served."""
from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, jsonify, request
from rdflib import Graph

from service.store.oxigraph import OxigraphStore
from service.graph.writes import asserted_quads

bp = Blueprint("reports", __name__)
_lock = threading.Lock()
# Requests that may wait for a report being computed (HermiT takes up to a minute on the shipped graph);
# each waiting request holds a server thread, so the others are told to come back instead.
CHECK_WAITERS = 2
_waiters = threading.BoundedSemaphore(CHECK_WAITERS)


class CheckBusy(Exception):
    """The report is being computed and enough requests already wait for it."""


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
    if not _waiters.acquire(blocking=False):
        raise CheckBusy()
    try:
        return _compute(store, generation)
    finally:
        _waiters.release()


def _compute(store, generation):
    """Once per generation: a request arriving during the run waits for it and gets its report."""
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
    try:
        report = current_report()
    except CheckBusy:
        return Response(f"The report is being computed and {CHECK_WAITERS} requests already wait for it; "
                        "try again in a minute.\n", status=503, mimetype="text/plain", headers={"Retry-After": "30"})
    best = request.accept_mimetypes.best_match(["application/json", "text/plain"], default="application/json")
    if request.args.get("format") == "text" or best == "text/plain":
        return Response(report.as_text(), mimetype="text/plain")
    return jsonify(report.as_dict())
