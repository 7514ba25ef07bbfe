"""Starting up: every file into its named graph, or a clear error and nothing served."""
from __future__ import annotations

import shutil

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


def test_a_malformed_ontology_module_is_named_too(copy_of_project):
    core = copy_of_project / "ontology" / "core.ttl"
    core.write_text(core.read_text() + "\nakg:Broken a owl:Class ;;; \n")
    with pytest.raises(loader.LoadError) as raised:
        create_app({"ONTOLOGY_DIR": copy_of_project / "ontology", "DATA_DIR": copy_of_project / "data"})
    assert raised.value.path == core and raised.value.line is not None


def test_unknown_folder_is_reported(tmp_path):
    with pytest.raises(loader.LoadError, match="folder not found"):
        loader.source_files(tmp_path / "nope", tmp_path)
