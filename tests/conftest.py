"""Fixtures built through the application factory, as Flask's tutorial builds them."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import waitress.server

from service import create_app
from service.graph import knowledge_graph
from service.config import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shipped():
    """The shipped graph, built once: (store, load report)."""
    return knowledge_graph.build(load_config())


@pytest.fixture(scope="session")
def store(shipped):
    return shipped[0]


@pytest.fixture(scope="session")
def app(shipped):
    store, report = shipped
    application = create_app({"TESTING": True}, store=store)
    application.extensions["alliance_kg.load_report"] = report
    yield application
    application.extensions["alliance_kg.close"]()


@pytest.fixture()
def client(app):
    return app.test_client()


def serve(app, threads: int = 4):
    """Run an application under waitress on a free loopback port: (base URL, server to close)."""
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", server


@pytest.fixture(scope="session")
def live_server(app):
    """The application under waitress, the production server, on a free loopback port."""
    url, server = serve(app)
    yield url
    server.close()


def rows(store, query: str) -> list[dict]:
    """Solutions as dicts of variable name to plain value (IRI or lexical form)."""
    return [{k: v.value for k, v in row.items()} for row in store.query(query).rows()]
