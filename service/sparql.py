"""Blueprint: the SPARQL 1.1 Protocol query endpoint at /sparql."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from . import iris, negotiation, safety
from .store import GRAPH_FORMATS, RESULT_FORMATS

bp = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"


def current_store():
    return current_app.extensions["alliance_kg.store"]


def error(status: int, message: str) -> Response:
    return Response(message.rstrip() + "\n", status=status, mimetype="text/plain")


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    content_type = (request.mimetype or "").lower()
    if request.method == "POST" and content_type == FORM:
        params = request.form
    else:
        params = request.args
    if "update" in params or content_type == UPDATE:
        return error(403, "SPARQL Update is not enabled on this endpoint.")

    if request.method == "POST" and content_type == DIRECT:
        queries = [request.get_data(as_text=True)]
    elif request.method == "POST" and content_type != FORM:
        return error(415, f"Unsupported content type {content_type or '(none)'}: send "
                          f"{DIRECT} or {FORM}.")
    else:
        queries = params.getlist("query")
    if not queries:
        if request.method == "GET" and not params:
            return service_description()
        return error(400, "Missing the 'query' parameter.")
    if len(queries) > 1:
        return error(400, "More than one 'query' parameter: send exactly one query.")
    query = queries[0]

    default_graphs = params.getlist("default-graph-uri") or request.args.getlist("default-graph-uri") or None
    named_graphs = params.getlist("named-graph-uri") or request.args.getlist("named-graph-uri") or None
    if default_graphs is None and _asserted_only(params):
        default_graphs = [g for g in current_store().graphs() if g != iris.ENTAILMENTS_GRAPH]

    try:
        safety.check(query, frozenset(current_app.config.get("ALLOWED_SERVICES", ())))
        result = current_store().query(query, default_graphs=default_graphs, named_graphs=named_graphs)
    except safety.ForbiddenQuery as forbidden:
        return error(400, f"Query refused: {forbidden}")
    except SyntaxError as syntax:
        return error(400, f"Malformed query: {syntax}")
    except (ValueError, OSError) as failure:
        current_app.logger.warning("query failed: %s", failure)
        return error(400, f"Query could not be evaluated: {failure}")

    offered = list(GRAPH_FORMATS if result.kind == "graph" else RESULT_FORMATS)
    if result.kind == "boolean":
        offered = offered[:2]  # CSV and TSV have no boolean form
    media_type = negotiation.choose(offered, request.accept_mimetypes,
                                    params.get("format") or params.get("output"), result.kind == "graph")
    if media_type is None:
        return error(406, f"None of the requested media types can be produced; offered: {', '.join(offered)}.")
    body = result.serialize(media_type)
    charset = "; charset=utf-8"
    return Response(body, status=200, content_type=media_type + charset, headers={"Vary": "Accept"})


def _asserted_only(params) -> bool:
    return params.get("entailment", "").lower() in {"none", "false", "off", "asserted"}


SERVICE_DESCRIPTION = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix ent: <http://www.w3.org/ns/entailment/> .
@prefix formats: <http://www.w3.org/ns/formats/> .

<{endpoint}> a sd:Service ;
    sd:endpoint <{endpoint}> ;
    sd:supportedLanguage sd:SPARQL11Query ;
    sd:feature sd:UnionDefaultGraph ;
    # the OWL 2 RL subset the project materialises (see service/entailment.py)
    sd:defaultEntailmentRegime ent:RDFS ;
    sd:defaultSupportedEntailmentProfile <http://www.w3.org/ns/owl-profile/RL> ;
    sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, formats:SPARQL_Results_CSV,
        formats:SPARQL_Results_TSV, formats:Turtle, formats:JSON-LD, formats:RDF_XML, formats:N-Triples .
"""


def service_description() -> Response:
    endpoint = request.base_url
    return Response(SERVICE_DESCRIPTION.format(endpoint=endpoint), content_type="text/turtle; charset=utf-8")
