"""alliance-kg: a knowledge graph of military alliances, served over SPARQL 1.1."""
from __future__ import annotations

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from .config import load_config


def create_app(config: dict | None = None, store=None) -> Flask:
    """The WSGI application. Builds the graph from ontology/ and data/ unless handed a store."""
    from . import admin, cors, knowledge_graph, metrics, reports, resources, sparql, ui

    settings = load_config(config)
    app = Flask(__name__)
    app.config.update(settings)
    report = None
    if store is None:
        store, report = knowledge_graph.build(settings)
    app.extensions["alliance_kg.store"] = store
    app.extensions["alliance_kg.load_report"] = report
    app.register_blueprint(sparql.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(resources.bp)
    metrics.init_app(app)
    cors.init_app(app)

    @app.errorhandler(404)
    def not_found(_error):
        return Response("Not found. The SPARQL endpoint is at /sparql.\n", status=404, mimetype="text/plain")

    @app.errorhandler(405)
    def not_allowed(_error):
        return Response("Method not allowed here.\n", status=405, mimetype="text/plain")

    @app.errorhandler(Exception)
    def internal(error):
        if isinstance(error, HTTPException):
            return Response(f"{error.name}: {error.description}\n", status=error.code, mimetype="text/plain")
        app.logger.exception("unhandled error")
        return Response("Internal error; the server logged it.\n", status=500, mimetype="text/plain")

    return app
