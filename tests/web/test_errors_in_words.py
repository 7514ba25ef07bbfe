"""Errors a person can act on: a query's syntax error names the undeclared prefix (with the PREFIX line to
add) or the keyword a typo meant, and keeps its position, over HTTP and in the CLI; `serve` on a busy
port and `docs` without pyLODE say so in one line, without a traceback; pyLODE's logging stays quiet."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from service import cli, create_app
from service.store.syntax_errors import explain

from ..conftest import PROJECT_ROOT

AKG_LINE = "PREFIX akg: <https://w3id.org/alliance-kg/ontology#>"
SKOS_LINE = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"
CASES = [  # query, its error's position, what the message must say
    ("SELECT ?a WHERE { ?a a akg:Alliance }", "1:36", ["the prefix akg: is not declared", AKG_LINE]),
    ("PREFIX akg: <https://w3id.org/alliance-kg/ontology#>\nSELECT ?c WHERE {\n  ?c a skos:Concept }", "3:20",
     ["the prefix skos: is not declared", SKOS_LINE]),
    ("SELECT ?x WHERE { ?x foo:bar ?o }", "1:29", ["the prefix foo: is not declared", "PREFIX foo: <namespace IRI>"]),
    ("SELEC ?x WHERE { ?x ?p ?o }", "1:10", ["'SELEC' is not a SPARQL keyword; did you mean SELECT?"]),
    ("SELECT ?x WHERE { ?x ?p ?o } LIMT 3", "1:36", ["'LIMT' is not a SPARQL keyword; did you mean LIMIT?"]),
    ("SELECT ?x WHERE {\n  ?x ?p ?o\n  FILTR(?x) }", "3:11", ["'FILTR' is not a SPARQL keyword; did you mean FILTER?"]),
]


@pytest.fixture(scope="module")
def small_app(tmp_path_factory):
    """The ontology without data: the parser's messages do not depend on the graph's size."""
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path_factory.mktemp("no-data")})
    yield app
    app.extensions["alliance_kg.close"]()


@pytest.mark.parametrize("query, position, said", CASES)
def test_a_malformed_query_over_http_says_what_to_do_and_where(small_app, query, position, said):
    response = small_app.test_client().get("/sparql", query_string={"query": query})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert text.startswith(f"Malformed query: error at {position}: "), text
    for words in said:
        assert words in text
    assert "\\u{" not in text and "expected CONSTRUCT" not in text and len(text) < 600


def test_a_malformed_update_says_the_same(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "WRITE_KEY": "errors-in-words-key", "WRITE_GUARD": False})
    try:
        response = app.test_client().post("/sparql", data={"update": "INSERT DATA { akg:x akg:y akg:z }"},
                                          headers={"Authorization": "Bearer errors-in-words-key"})
    finally:
        app.extensions["alliance_kg.close"]()
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert text.startswith("Malformed update: error at 1:") and AKG_LINE in text, text


def test_the_cli_query_says_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_KG_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli.main, ["query", "SELECT ?a WHERE { ?a a akg:Alliance }"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: malformed query: error at 1:36: the prefix akg: is not declared; " \
                                     f"add this line at the top of the query: {AKG_LINE}"


def test_a_parser_message_without_a_position_or_a_better_reading_is_kept():
    assert explain("ASK {", "unexpected end") == "unexpected end"
    said = 'error at 1:28: expected one of ",", ".", ";", "{", "}"'
    assert explain("SELECT ?x WHERE { ?x ?p ?o ", said) == said


@pytest.fixture()
def busy_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_serve_on_a_busy_port_says_so_in_one_line_before_loading(busy_port):
    run = subprocess.run([sys.executable, "-c", "from service.cli import main; main()", "serve", "--port", str(busy_port)],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip() == (f"Error: cannot start: 127.0.0.1:{busy_port} is already in use (another alliance-kg "
                                  f"serve?); stop it or choose another port with --port")
    assert run.stdout == ""


def test_serve_when_the_port_is_taken_during_the_load_says_so_without_ready(busy_port, tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_KG_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli, "_check_address", lambda host, port: None)  # free when checked, taken by the time it binds
    result = CliRunner().invoke(cli.main, ["serve", "--port", str(busy_port)])
    assert result.exit_code == 1
    assert f"Error: cannot start: 127.0.0.1:{busy_port} is already in use" in result.output
    assert "alliance-kg: ready" not in result.output and "Traceback" not in result.output


def test_docs_without_pylode_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pylode", None)  # as if it were not installed
    result = CliRunner().invoke(cli.main, ["docs"])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: pyLODE is not installed (pylode is missing); install the docs extra: "
                                     "pip install -e '.[docs]'")


def test_pylode_leaves_the_logging_as_it_found_it():
    script = ("import asyncio, logging\n"
              "from service.web.ontology_docs import pylode\n"
              "pylode()\n"
              "asyncio.run(asyncio.sleep(0))\n"  # asyncio logs its selector at DEBUG
              "logging.getLogger('some.library').info('an info line')\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""


def test_serve_says_where_the_query_ui_is(tmp_path):
    """The start-up lines name the UI at / beside the endpoint (issue 16 item 10): a newcomer opens it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", "from service.cli import main; main()", "serve", "--port", str(port)],
                              cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "ALLIANCE_KG_DATA_DIR": str(tmp_path)})
    try:
        lines = []
        for line in server.stderr:
            lines.append(line.strip())
            if "query UI" in line or len(lines) > 20:
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert lines[-1] == f"alliance-kg: SPARQL endpoint at http://127.0.0.1:{port}/sparql, query UI at http://127.0.0.1:{port}/", lines
