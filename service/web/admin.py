"""Blueprint: operational endpoints."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from service.graph import exports

bp = Blueprint("admin", __name__)

def curated_until(store) -> str | None:
    """How far the curation of the present reaches (ontology/README.md, "Coverage"), as an ISO date:
    every answer about a date after it is at best presumed, so the health report says it."""
    until = exports.curated_until(store)
    return until.isoformat() if until else None


@bp.route("/health")
def health():
    store = current_app.extensions["alliance_kg.store"]
    report = current_app.extensions.get("alliance_kg.load_report")
    body = {"status": "ok", "quads": len(store), "curated_until": curated_until(store)}
    if report is not None:
        body |= {"files": report.files, "asserted": report.asserted_triples,
                 "entailed": report.entailed_triples, "load_seconds": round(report.seconds, 3)}
    return jsonify(body)
