"""Starting up: every file into its named graph, or a clear error and nothing served."""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from service import cli, create_app, iris
from service.store import loader

from ..conftest import PROJECT_ROOT


@pytest.fixture()
def copy_of_project(tmp_path):
    shutil.copytree(PROJECT_ROOT / "ontology", tmp_path / "ontology")
    shutil.copytree(PROJECT_ROOT / "data", tmp_path / "data")
    return tmp_path


def test_every_file_goes_into_its_own_named_graph(store):
    graphs = set(store.graphs())
    assert iris.ontology_graph("core") in graphs
    assert iris.data_graph("states") in graphs
    assert iris.ENTAILMENTS_GRAPH in graphs
    assert not any(g.endswith("/shapes") for g in graphs), "shapes are rules, not statements"


def test_a_malformed_data_file_stops_the_start_with_file_line_and_reason(copy_of_project):
    broken = copy_of_project / "data" / "broken.ttl"
    broken.write_text("@prefix akg: <https://w3id.org/alliance-kg/ontology#> .\n\n"
                      "<https://w3id.org/alliance-kg/id/state/XXX> akg:iso3 .\n")
    config = {"ONTOLOGY_DIR": copy_of_project / "ontology", "DATA_DIR": copy_of_project / "data"}
    with pytest.raises(loader.LoadError) as raised:
        create_app(config)
    assert raised.value.path == broken and raised.value.line == 3
    assert str(raised.value).startswith(f"{broken}:3:")

    result = CliRunner(env={"ALLIANCE_KG_DATA_DIR": str(copy_of_project / "data"),
                            "ALLIANCE_KG_ONTOLOGY_DIR": str(copy_of_project / "ontology")}).invoke(
        cli.main, ["query", "ASK {}"])
    assert result.exit_code == 1
    assert f"{broken}:3:" in result.output and "Traceback" not in result.output


def test_a_start_whose_graph_cannot_be_built_leaves_no_fork_server_waiting_for_it(copy_of_project):
    """The query workers' fork server starts while the graph is built and waits for its file: a build
    that fails must stop it, or the next executor of the process never gets a worker. In a fresh process,
    so that this call of create_app is the one that starts the fork server."""
    (copy_of_project / "data" / "broken.ttl").write_text("<urn:test:a> <urn:test:b> .\n")
    script = textwrap.dedent(f"""
        import psutil
        from service import create_app
        from service.store import loader
        from service.store.execution import ProcessExecutor, QueryRequest
        from service.store.on_disk import PersistentStore
        import pyoxigraph as ox
        try:
            create_app({{"ONTOLOGY_DIR": {str(copy_of_project / "ontology")!r},
                        "DATA_DIR": {str(copy_of_project / "data")!r}}})
        except loader.LoadError as failure:
            print("refused:", failure)
        waiting = [c for c in psutil.Process().children(recursive=True) if c.status() != psutil.STATUS_ZOMBIE]
        print("processes left:", len([c for c in waiting if "resource_tracker" not in " ".join(c.cmdline())]))
        store = PersistentStore({str(copy_of_project / "store")!r})
        store.commit([ox.Quad(ox.NamedNode("urn:test:s"), ox.NamedNode("urn:test:p"), ox.Literal("then"),
                              ox.NamedNode("urn:test:g"))], ["urn:test:g"])
        executor = ProcessExecutor(store.directory, workers=1, timeout=30)
        executor.wait_ready(30)
        print("answer:", executor.run(QueryRequest("SELECT ?o {{ GRAPH ?g {{ ?s ?p ?o }} }}", accept="text/csv")).body)
        executor.close()
        store.close()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "refused:" in done.stdout and "broken.ttl:1:" in done.stdout
    assert "processes left: 0" in done.stdout, "the fork server waiting for the graph's file was stopped"
    assert "answer: b'o\\r\\nthen\\r\\n'" in done.stdout, done.stdout


def test_a_malformed_ontology_module_is_named_too(copy_of_project):
    core = copy_of_project / "ontology" / "core.ttl"
    core.write_text(core.read_text() + "\nakg:Broken a owl:Class ;;; \n")
    with pytest.raises(loader.LoadError) as raised:
        create_app({"ONTOLOGY_DIR": copy_of_project / "ontology", "DATA_DIR": copy_of_project / "data"})
    assert raised.value.path == core and raised.value.line is not None


def test_unknown_folder_is_reported(tmp_path):
    with pytest.raises(loader.LoadError, match="folder not found"):
        loader.source_files(tmp_path / "nope", tmp_path)
