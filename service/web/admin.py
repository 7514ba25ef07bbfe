"""Blueprint: operational endpoints."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("admin", __name__)

# How far the curation of the present reaches (ontology/README.md, "Coverage"): every answer about a
# date after it is at best presumed, so the health report says it beside the store's size.
CURATED_UNTIL = """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
SELECT (MAX(?date) AS ?until) WHERE { ?dataset a akg:Dataset ; akg:curatedUntil ?date }"""


def curated_until(store) -> str | None:
    """The dataset's akg:curatedUntil as an ISO date, or None when the graph declares none."""
    for row in store.query(CURATED_UNTIL).rows():
        if "until" in row:
            return row["until"].value
    return None


@bp.route("/health")
def health():
    store = current_app.extensions["alliance_kg.store"]
    report = current_app.extensions.get("alliance_kg.load_report")
    body = {"status": "ok", "quads": len(store), "curated_until": curated_until(store)}
    if report is not None:
        body |= {"files": report.files, "asserted": report.asserted_triples,
                 "entailed": report.entailed_triples, "load_seconds": round(report.seconds, 3)}
    return jsonify(body)
