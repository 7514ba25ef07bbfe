"""Blueprint: /assess and /changes, the assessment of a set of states and the change report, as
printable HTML briefings (JSON by Accept: application/json). The reports are built from the saved
queries in queries/, run by the same query workers as /sparql."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from service.graph import assessments
from service.store.execution import QueryRequest
from service.web.briefings import render
from service.web.linked_data import local_href

bp = Blueprint("assessments", __name__)


class _QueryFailed(Exception):
    pass


def _runner():
    executor = current_app.extensions["alliance_kg.executor"]

    def run(text: str) -> list[dict]:
        answer = executor.run(QueryRequest(query=text, accept="application/sparql-results+json"))
        if answer.status != 200:
            raise _QueryFailed(answer.body.decode("utf-8", "replace"))
        bindings = json.loads(answer.content())["results"]["bindings"]
        return [{k: v["value"] for k, v in row.items()} for row in bindings]
    return run


def _respond(build) -> Response:
    try:
        report = build(_runner())
    except assessments.AssessmentError as error:
        return Response(f"Bad request: {error}\n", status=400, mimetype="text/plain")
    except _QueryFailed as failure:
        return Response(f"A saved query failed: {failure}", status=502, mimetype="text/plain")
    best = request.accept_mimetypes.best_match(["text/html", "application/json"], default="text/html")
    if request.args.get("format") == "json" or best == "application/json":
        return Response(render(report, "json"), mimetype="application/json")
    if request.args.get("format") == "markdown":
        return Response(render(report, "markdown", local_href), mimetype="text/markdown")
    return Response(render(report, "html", local_href), mimetype="text/html")


def _states(required: bool) -> list[str]:
    raw = request.args.getlist("states")
    if required and not any(v.strip() for v in raw):
        raise assessments.AssessmentError("states", "states: name at least one state, e.g. ?states=RUS,PRK")
    return raw


@bp.route("/assess")
def assess():
    def build(run):
        return assessments.assess(run, _states(True), request.args.get("on"))
    return _respond(build)


@bp.route("/changes")
def changes():
    def build(run):
        if not request.args.get("from"):
            raise assessments.AssessmentError("from", "from: required (YYYY-MM-DD)")
        return assessments.changes(run, request.args["from"], request.args.get("to"), _states(False))
    return _respond(build)
