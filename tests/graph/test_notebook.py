"""docs/examples/alliances.ipynb runs top to bottom against a live server and draws its plots."""
from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from ..conftest import PROJECT_ROOT

NOTEBOOK = PROJECT_ROOT / "docs" / "examples" / "alliances.ipynb"


def test_notebook_queries_the_service_and_plots_alliance_counts(live_server, monkeypatch):
    monkeypatch.setenv("ALLIANCE_KG_ENDPOINT", live_server + "/sparql")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pictures) == 2
    texts = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "North Atlantic Treaty Organization (NATO)" in texts
    assert "Russia-North Korea alliance" in texts
    # the yearly counts on 1 July: eight alliances in force in 2024 (NATO, ANZUS, the US treaties with
    # the Philippines, South Korea, Thailand and Japan, China-North Korea, and the European Union, an alliance by
    # Article 42(7) TEU, ATOP 4175, dated from the TEU's entry into force, 1993-11-01), nine in 2025 with
    # Russia-North Korea, whose treaty entered into force on 2024-12-04 (data/paper/partnerships.ttl)
    assert "2024    8" in texts and "2025    9" in texts
    assert "2024-03-07       1       32" in texts  # Sweden makes 32
