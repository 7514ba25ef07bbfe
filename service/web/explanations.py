"""Blueprint: /why, why the graph holds a statement: asserted (its graphs and sources) or concluded by
the reasoner (the rule and its premises, down to asserted statements). HTML, or JSON by
Accept: application/json (or ?format=json)."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template, request

from service.graph import explanations
from service.web.linked_data import current_store, text_error

bp = Blueprint("why", __name__)


def why_href(subject: str, predicate: str, value) -> str | None:
    """The /why link of a statement an entity page shows (value: an IRI, or a describe.Value); None for a
    blank node, which no request can name."""
    if isinstance(value, str):
        written = value
    elif value.is_iri:
        written = value.value
    elif value.kind == "blank":
        return None
    elif value.language:
        written = str(ox.Literal(value.value, language=value.language))
    else:
        written = str(ox.Literal(value.value, datatype=ox.NamedNode(value.datatype)))
    return f"{request.script_root}/why?" + urlencode({"s": subject, "p": predicate, "o": written})


@bp.app_context_processor
def helpers():
    return {"why_href": why_href, "RDF_TYPE": explanations.TYPE}


@bp.route("/why")
def why():
    try:
        statement = explanations.parse_statement(request.args.get("s"), request.args.get("p"), request.args.get("o"))
    except explanations.StatementError as error:
        return text_error(400, f"Bad request: {error}")
    store = current_store()
    if "alliance_kg.rules" not in current_app.extensions:  # the ontology graphs are not writable: once is enough
        current_app.extensions["alliance_kg.rules"] = explanations.ontology(store)
    report = explanations.why(store, *statement, ontology=current_app.extensions["alliance_kg.rules"])
    if report is None:
        return text_error(404, "The graph neither asserts nor entails " + " ".join(str(t) for t in statement) + ".")
    best = request.accept_mimetypes.best_match(["text/html", "application/json"], default="text/html")
    if request.args.get("format") == "json" or best == "application/json":
        return Response(json.dumps(report, ensure_ascii=False), mimetype="application/json", headers={"Vary": "Accept"})
    body = render_template("why.html", report=report)
    return Response(body, content_type="text/html; charset=utf-8", headers={"Vary": "Accept"})
