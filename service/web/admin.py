"""Blueprint: operational endpoints."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("admin", __name__)


@bp.route("/health")
def health():
    store = current_app.extensions["alliance_kg.store"]
    report = current_app.extensions.get("alliance_kg.load_report")
    body = {"status": "ok", "quads": len(store)}
    if report is not None:
        body |= {"files": report.files, "asserted": report.asserted_triples,
                 "entailed": report.entailed_triples, "load_seconds": round(report.seconds, 3)}
    return jsonify(body)
