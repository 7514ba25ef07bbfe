"""The application factory: create_app(config) wires the store, the reasoner and the web layer."""
from __future__ import annotations

import atexit

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from service.config import load_config


def create_app(config: dict | None = None, store=None) -> Flask:
    """The WSGI application over an on-disk store (STORE_DIR, or a temporary folder), or over an
    external store (STORE_BACKEND=sparql, or a SparqlStore handed in as `store`).

    A store that has never been written gets ontology/ and data/ and their entailments (or, when
    handed an in-memory `store`, a copy of it); a store written before is reopened as it is. An
    external store gets ontology/ and data/ (their graphs replaced) and their entailments at start.
    `app.extensions["alliance_kg.close"]()` stops the query workers and removes a temporary store."""
    from service.store.execution import InProcessExecutor, ProcessExecutor
    from service.store.on_disk import PersistentStore
    from service.store.oxigraph import OxigraphStore

    settings = load_config(config)
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_BODY_BYTES"]
    cleanups = []

    def close():
        while cleanups:
            cleanups.pop(0)()

    # registered before anything is made: a stop (SIGTERM, SIGINT) while the graph loads or the store
    # is written leaves no temporary store behind
    atexit.register(close)
    report = None
    shapes = settings["ONTOLOGY_DIR"] / "shapes.ttl"
    if store is None and settings["STORE_BACKEND"] != "oxigraph":
        from service.graph import knowledge_graph
        store, report = knowledge_graph.build(settings)  # into the external store, which then serves
    if store is None or isinstance(store, OxigraphStore):
        directory = settings["STORE_DIR"]
        if directory is None:
            from service.store import temporary
            made = []
            cleanups.append(lambda: temporary.remove(made))  # before the folder exists: see temporary.create
            directory = temporary.create(made)
        persistent = PersistentStore(directory, keep_seconds=settings["QUERY_TIMEOUT"] + 30)
        cleanups.insert(0, persistent.close)
        snapshot = None
        if persistent.is_empty:
            if store is None:
                # the fork server starts (imports, 0.2 s) while the graph is built, and waits for its file
                from service.store.execution import start_fork_server, stop_fork_server_waiting_for_snapshot
                start_fork_server(persistent.directory, persistent.next_quads_file)
                from service.graph import knowledge_graph
                try:
                    store, report = knowledge_graph.build(settings)
                except BaseException:
                    stop_fork_server_waiting_for_snapshot()
                    raise
            # the next generation begun as N-Quads: the built graph's memory goes back before RocksDB
            # is written, and the query workers' fork server copies the file meanwhile
            snapshot = persistent.prepare(store, store.graphs())
            store = None
            from service.graph.knowledge_graph import return_freed_memory
            return_freed_memory()
        executor = ProcessExecutor(persistent.directory, settings["QUERY_WORKERS"], settings["QUERY_TIMEOUT"],
                                   network=bool(settings["ALLOWED_SERVICES"]), slots=settings["QUERY_SLOTS"],
                                   memory_mb=settings["WORKER_MEMORY_MB"], snapshot=snapshot)
        cleanups.insert(0, executor.close)
        if snapshot is not None:  # written while the workers answer from their copy of the snapshot
            persistent.commit_in_background(after=executor.wait_first)
        store = persistent
        # imported once the query workers' fork server has been started: it comes up meanwhile
        from service.graph.writes import Writer
        app.extensions["alliance_kg.writer"] = Writer(persistent, shapes, settings["WRITE_GUARD"])
    else:  # an external store, which enforces its own time limit: queries go to it from this process
        from service.graph.writes import Writer
        executor = InProcessExecutor(store)
        app.extensions["alliance_kg.writer"] = Writer(store, shapes, settings["WRITE_GUARD"])
    cleanups.insert(0, app.extensions["alliance_kg.writer"].close)
    app.extensions["alliance_kg.store"] = store
    app.extensions["alliance_kg.executor"] = executor
    app.extensions["alliance_kg.load_report"] = report

    app.extensions["alliance_kg.close"] = close
    from service.web import (admin, assessments, cors, explanations, graph_store, metrics, reports,
                             linked_data as resources, sparql, ui)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(graph_store.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(assessments.bp)
    app.register_blueprint(resources.bp)
    app.register_blueprint(explanations.bp)
    metrics.init_app(app)
    cors.init_app(app)

    @app.before_request
    def limit_form_fields():
        # werkzeug bounds the parts of a multipart form (MAX_FORM_PARTS, from the settings), not the
        # fields of a urlencoded one: 3 million empty fields took 12 s and 3 GB to parse
        limit = settings["MAX_FORM_PARTS"]
        fields = request.query_string.count(b"&") + 1 if request.query_string else 0
        if request.mimetype == "application/x-www-form-urlencoded":
            fields += request.get_data(cache=True).count(b"&") + 1
        if fields > limit:
            return Response(f"The request has more than {limit} form fields, this endpoint's limit "
                            "(ALLIANCE_KG_MAX_FORM_PARTS).\n", status=413, mimetype="text/plain")
        return None

    @app.errorhandler(404)
    def not_found(_error):
        return Response("Not found. The SPARQL endpoint is at /sparql.\n", status=404, mimetype="text/plain")

    @app.errorhandler(405)
    def not_allowed(_error):
        return Response("Method not allowed here.\n", status=405, mimetype="text/plain")

    @app.errorhandler(413)
    def too_large(_error):
        return Response(f"The request body is larger than {settings['MAX_BODY_BYTES']} bytes, this endpoint's "
                        "limit.\n", status=413, mimetype="text/plain")

    @app.errorhandler(Exception)
    def internal(error):
        if isinstance(error, HTTPException):
            return Response(f"{error.name}: {error.description}\n", status=error.code, mimetype="text/plain")
        app.logger.exception("unhandled error")
        return Response("Internal error; the server logged it.\n", status=500, mimetype="text/plain")

    return app

