"""The floor for a Flask service on this machine: pyoxigraph in memory behind one Flask view under waitress.

    .venv/bin/python -m benchmarks.floor_endpoint --port 8766 [--size 1M] [--workdir DIR]

No query workers, no safety check, no row limit, no time limit, no CORS, metrics or negotiation: POST
/sparql answers a form's `query` in the request thread, as `benchmarks.reads` times pyoxigraph in memory
(`in_memory_answer`: SPARQL JSON, Turtle for a graph), and GET /health says it is ready. What it adds to
the engine is what any Flask application under waitress adds (`benchmarks.after_long` serves it beside
the service). A benchmark's reference, bound to the loopback interface: never an endpoint to serve.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import waitress
from flask import Flask, Response, request

from benchmarks.reads import build_graph, in_memory_answer


def create_app(store) -> Flask:
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return "ready"

    @app.post("/sparql")
    def sparql():
        media_type, body = in_memory_answer(store, request.form["query"])
        return Response(body, content_type=media_type)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--size", default="shipped", help="a generated graph of this many synthetic triples "
                                                          "(made in --workdir, as benchmarks.reads makes it)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/alliance-kg-reads"))
    args = parser.parse_args(argv)
    store, _ = build_graph(args.size, args.workdir)
    waitress.serve(create_app(store._store), host="127.0.0.1", port=args.port, threads=8, ident="floor")


if __name__ == "__main__":
    main()
