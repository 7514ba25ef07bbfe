"""Blueprint: the SPARQL 1.1 Protocol endpoint at /sparql (query, update, service description)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from service import iris
from service.store import safety, sandbox
from service.store.syntax_errors import explain
from service.web import updates
from service.store.errors import EngineFailure, QueryAborted, QueryBusy, QueryTimeout
from service.store.execution import QueryRequest
from service.web.metrics import record_timeout
from service.graph.writes import WriteRefused, graphs_an_update_may_change, refuse_reserved_targets
from service.web.key_limit import authorise_request

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"


def current_store():
    return current_app.extensions["alliance_kg.store"]


def error(status: int, message: str, headers: dict | None = None) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain", headers=headers)


def refused(refusal: WriteRefused) -> Response:
    if refusal.report is not None:
        body = json.dumps({"error": refusal.message, "report": refusal.report}, indent=2)
        return Response(body + "\n", status=refusal.status, mimetype="application/json")
    headers = {"WWW-Authenticate": 'Bearer realm="alliance-kg"'} if refusal.status == 401 else None
    if getattr(refusal, "retry_after", None):
        headers = {"Retry-After": str(refusal.retry_after)}
    return error(refusal.status, refusal.message, headers)


def _charset_is_utf8() -> bool:
    charset = request.mimetype_params.get("charset")
    return charset is None or charset.lower().replace("_", "-") in {"utf-8", "utf8"}


@bp.route("/sparql", methods=["GET", "POST"])
@bp.route("/sparql/", methods=["GET", "POST"])
def sparql() -> Response:
    content_type = (request.mimetype or "").lower()
    form = request.method == "POST" and content_type == FORM
    params = request.form if form else request.args
    if "update" in params or content_type == UPDATE or "update" in request.args:
        return _update(params, content_type)

    if request.method == "POST" and content_type == DIRECT:
        if not _charset_is_utf8():
            return error(415, "A query sent directly must be UTF-8 (charset=utf-8).")
        queries = [_utf8_body()]
        if queries[0] is None:
            return error(400, "The request body is not valid UTF-8.")
    elif request.method == "POST" and not form:
        return error(415, f"Unsupported content type {content_type or '(none)'}: send "
                          f"{DIRECT}, {UPDATE} or {FORM}.")
    else:
        queries = params.getlist("query")
    if not queries:
        if request.method == "GET" and not params:
            from service.web import service_description  # rdflib: imported when first asked, not at start
            return service_description.response()
        return error(400, "Missing the 'query' parameter.")
    if len(queries) > 1:
        return error(400, "More than one 'query' parameter: send exactly one query.")
    query = queries[0]

    default_graphs = params.getlist("default-graph-uri") or request.args.getlist("default-graph-uri")
    named_graphs = params.getlist("named-graph-uri") or request.args.getlist("named-graph-uri")
    try:
        updates.check_iris(default_graphs, "default-graph-uri")
        updates.check_iris(named_graphs, "named-graph-uri")
    except ValueError as bad:
        return error(400, str(bad))
    if default_graphs or named_graphs:
        # the protocol's dataset replaces the query's FROM / FROM NAMED entirely
        default_graphs, named_graphs = default_graphs or [], named_graphs or []
    else:
        default_graphs = named_graphs = None
        if _asserted_only(params):
            default_graphs = [g for g in current_store().graphs() if g != iris.ENTAILMENTS_GRAPH] + [""]

    try:
        safety.check(query, frozenset(current_app.config.get("ALLOWED_SERVICES", ())))
    except safety.ForbiddenQuery as forbidden:
        return error(400, f"Query refused: {forbidden}")
    job = QueryRequest(query, default_graphs, named_graphs, base_iri=_base_iri(),
                       accept=request.headers.get("Accept", ""),
                       format_name=params.get("format") or params.get("output"),
                       max_rows=current_app.config["MAX_RESULT_ROWS"],
                       max_bytes=current_app.config["MAX_RESULT_BYTES"])
    try:
        answer = current_app.extensions["alliance_kg.executor"].run(job)
        # a large answer comes in parts: a limit met before the first part (the worker gone) is still a
        # 503 (once the response has begun, it can only be cut short)
        first = next(answer.body, b"") if answer.status == 200 and not isinstance(answer.body, bytes) else None
    except EngineFailure as failed:  # the engine's fault, met again if asked again: no Retry-After
        return error(500, str(failed))
    except QueryAborted as stopped:  # over the time limit, or its worker died
        if isinstance(stopped, QueryTimeout):
            record_timeout()
        return error(503, str(stopped), {"Retry-After": "5" if isinstance(stopped, QueryBusy) else "60"})
    if answer.status != 200:
        return error(answer.status, answer.body.decode())
    content_type = answer.media_type + "; charset=utf-8"
    if first is None:
        return Response(answer.body, status=200, content_type=content_type, headers={"Vary": "Accept"})
    # sent on part by part as the worker writes them; the server closes the parts when the response
    # ends, however it ends (a client gone mid-answer: the worker is killed)
    response = Response(_parts(first, answer.body), status=200, content_type=content_type,
                        headers={"Vary": "Accept"})
    response.call_on_close(answer.body.close)
    return response


def _parts(first: bytes, stream):
    try:
        yield first
        yield from stream
    except QueryTimeout:
        record_timeout()
        raise


def _utf8_body() -> str | None:
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError:
        return None


def _update(params, content_type: str) -> Response:
    try:
        authorise_request()
    except WriteRefused as refusal:
        return refused(refusal)
    if request.method != "POST":
        return error(405, "Send updates with POST (form field 'update', or the body as "
                          f"{UPDATE}).", {"Allow": "POST"})
    if content_type == UPDATE:
        if not _charset_is_utf8():
            return error(415, "An update sent directly must be UTF-8 (charset=utf-8).")
        texts = [_utf8_body()]
        if texts[0] is None:
            return error(400, "The request body is not valid UTF-8.")
        using, using_named = request.args.getlist("using-graph-uri"), request.args.getlist("using-named-graph-uri")
    elif content_type == FORM:
        texts = params.getlist("update")
        using, using_named = params.getlist("using-graph-uri"), params.getlist("using-named-graph-uri")
    else:
        return error(415, f"Unsupported content type {content_type or '(none)'} for an update: send "
                          f"{UPDATE} or {FORM}.")
    if len(texts) != 1:
        return error(400, "Send exactly one 'update' parameter.")
    if "query" in params:
        return error(400, "Send either 'query' or 'update', not both.")
    try:
        updates.check_iris(using, "using-graph-uri")
        updates.check_iris(using_named, "using-named-graph-uri")
        safety.check_update(texts[0], frozenset(current_app.config.get("ALLOWED_SERVICES", ())))
        text = updates.with_protocol_dataset(texts[0], using, using_named)
        refuse_reserved_targets(text)
    except safety.ForbiddenQuery as forbidden:
        return error(400, f"Update refused: {forbidden}")
    except WriteRefused as refusal:
        return refused(refusal)
    except ValueError as bad:
        return error(400, str(bad))
    base = _base_iri()

    def change(scratch):
        if current_app.config.get("ALLOWED_SERVICES"):
            scratch.update(text, base_iri=base)
        else:  # the second wall: the engine runs the update where it cannot open a socket
            sandbox.run_without_network(lambda: scratch.update(text, base_iri=base))

    try:
        result = current_app.extensions["alliance_kg.writer"].apply(change, graphs_an_update_may_change(text))
    except SyntaxError as syntax:
        return error(400, f"Malformed update: {explain(text, str(syntax))}")
    except WriteRefused as refusal:
        return refused(refusal)
    except PermissionError as denied:  # the sandbox at work
        return error(400, f"Update refused: it tried to open a network connection, which this endpoint never "
                          f"does ({denied}). Nothing was changed.")
    except (ValueError, RuntimeError, OSError) as failure:  # e.g. CREATE GRAPH of a graph that exists
        current_app.logger.warning("update failed: %s", failure)
        return error(400, f"Update could not be applied: {_plain(failure)}")
    return Response(json.dumps({"changed_graphs": result.changed_graphs, "seconds": round(result.seconds, 3),
                                "guard_seconds": round(result.guard_seconds, 3)}) + "\n",
                    status=200, mimetype="application/json")


def _base_iri() -> str:
    """Relative IRIs in a request resolve against PUBLIC_BASE's /sparql, not the client's Host header."""
    from service.web.linked_data import public_base
    return public_base().rstrip("/") + "/sparql"


def _plain(failure: Exception) -> str:
    """An engine message without file system paths."""
    message = str(failure)
    return "the store could not be read or written" if "/" in message and "IO error" in message else message


def _asserted_only(params) -> bool:
    return params.get("entailment", "").lower() in {"none", "false", "off", "asserted"}
