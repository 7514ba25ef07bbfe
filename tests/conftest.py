"""Fixtures built through the application factory, as Flask's tutorial builds them."""
from __future__ import annotations

import http.server
import json

import shutil
import threading
from pathlib import Path

import pytest
import waitress.server

from service import create_app
from service.graph import knowledge_graph
from service.config import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; never `playwright install`
YASGUI = PROJECT_ROOT / "service/web/static/node_modules/@zazuko/yasgui/build/yasgui.min.js"

# The parts of the machine a test may need: (is it there?, what it is for, the command that installs it).
# scripts/setup.sh installs each of them; tests/test_setup.py holds the two lists together.
PARTS = {
    "java": (lambda: shutil.which("java") is not None and shutil.which("javac") is not None,
             "Java, which HermiT runs on, and javac, which compiles the guard's warm HermiT",
             "apt-get install default-jdk-headless"),
    "chromium": (CHROMIUM.exists, "Debian's chromium, which the browser tests drive",
                 "apt-get install chromium fonts-dejavu-core"),
    "virtuoso-t": (lambda: shutil.which("virtuoso-t") is not None and shutil.which("isql-vt") is not None,
                   "Virtuoso Open Source 7, the external store under test", "apt-get install virtuoso-opensource"),
    "node_modules": (YASGUI.exists, "YASGUI from npm, the query UI", "npm ci --prefix service/web/static"),
}


def require(*parts: str) -> None:
    """Fail the test at once, naming each missing part and what installs it, rather than letting it
    time out or fail somewhere deep for a reason nobody can read."""
    missing = [f"{part} is missing ({why}): run `bash scripts/setup.sh`, or `{command}`"
               for part in parts for present, why, command in [PARTS[part]] if not present()]
    if missing:
        pytest.fail("; ".join(missing), pytrace=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(*parts): the machine's parts the test needs (see PARTS)")


def pytest_runtest_setup(item):
    for marker in item.iter_markers("needs"):
        require(*marker.args)


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


class Listener(http.server.BaseHTTPRequestHandler):
    """A loopback HTTP server that records every request: what the SSRF tests must never reach."""
    hits: list[str] = []
    answer = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
        {"x": {"type": "literal", "value": "from the listener"}}]}}).encode()

    def do_GET(self):  # noqa: N802
        Listener.hits.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        self.wfile.write(self.answer)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def listener():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
