"""The analyst's workbench without a browser: the page at /, its examples, the vendored YASGUI, the world
map, the view-shaped queries, the GraphML export and plots, and the ontology documentation."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from service import iris
from service.graph import exports
from service.web import ontology_docs, ui
from service.cli import main
from service.datasets import world_map

from ..conftest import PROJECT_ROOT, rows

QUERIES = PROJECT_ROOT / "queries"
RAW = PROJECT_ROOT.parent / "shared" / "data" / "raw"
S = lambda key: f"{iris.ID}state/{key}"  # noqa: E731
P = lambda key: f"{iris.ID}partnership/{key}"  # noqa: E731


def settings_of(page: str) -> dict:
    start = page.index('<script id="workbench-settings" type="application/json">')
    body = page[page.index(">", start) + 1:page.index("</script>", start)]
    return json.loads(body)


# ---- the page at / ----------------------------------------------------------------------------------

@pytest.mark.needs("node_modules")
def test_index_presets_endpoint_and_prefixes(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<script src="/ui/vendor/yasgui.min.js">' in page
    settings = settings_of(page)
    assert settings["endpoint"] == "/sparql"
    assert settings["prefixes"] == iris.PREFIXES
    assert settings["idBase"] == iris.ID


def test_index_says_how_to_install_yasgui_when_missing(client, monkeypatch, tmp_path):
    monkeypatch.setattr(ui, "YASGUI_DIR", tmp_path / "nothing-here")
    response = client.get("/")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert 'id="missing-yasgui"' in page and "npm ci --prefix service/web/static" in page
    assert str(tmp_path) not in page and str(ui.PROJECT_ROOT) not in page and "nothing-here" in page, "no path shown"
    assert client.get("/ui/vendor/yasgui.min.js").status_code == 503


def test_the_missing_yasgui_page_names_the_folder_in_the_project_not_on_the_server(client, monkeypatch):
    monkeypatch.setattr(ui, "YASGUI_DIR", ui.PROJECT_ROOT / "service" / "web" / "static" / "nowhere")
    page = client.get("/").get_data(as_text=True)
    assert "<code>service/web/static/nowhere</code>" in page and str(ui.PROJECT_ROOT) not in page


@pytest.mark.needs("node_modules")
def test_yasgui_bundle_is_served_from_node_modules(client):
    for name, media_type in ui.YASGUI_FILES.items():
        response = client.get(f"/ui/vendor/{name}")
        assert response.status_code == 200, name
        assert response.mimetype == media_type
        assert response.get_data() == (ui.YASGUI_DIR / name).read_bytes()
    assert client.get("/ui/vendor/package.json").status_code == 404


def test_yasgui_is_pinned_and_not_committed():
    package = json.loads((PROJECT_ROOT / "service" / "web" / "static" / "package.json").read_text())
    assert package["dependencies"] == {"@zazuko/yasgui": "4.6.2"}
    lock = json.loads((PROJECT_ROOT / "service" / "web" / "static" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@zazuko/yasgui"]["version"] == "4.6.2"
    assert "node_modules/" in (PROJECT_ROOT / ".gitignore").read_text().splitlines()


def test_own_scripts_are_served_and_nothing_else(client):
    for name in ("workbench.js", "views.js", "network.js", "workbench.css", "world.json"):
        assert client.get(f"/ui/static/{name}").status_code == 200, name
    for path in ("package.json", "package-lock.json", "node_modules/@zazuko/yasgui/package.json", "../ui.py"):
        assert client.get(f"/ui/static/{path}").status_code == 404, path


# ---- examples -----------------------------------------------------------------------------------------

def test_every_saved_query_is_an_example_with_its_header(client):
    examples = client.get("/ui/examples.json").get_json()
    files = sorted(QUERIES.glob("*.rq"))
    assert sorted(e["name"] for e in examples) == sorted(p.stem for p in files)
    by_name = {e["name"]: e for e in examples}
    for path in files:
        text = path.read_text(encoding="utf-8")
        example = by_name[path.stem]
        assert example["query"] == text
        assert f"# title: {example['title']}\n" in text
        assert f"# question: {example['question']}\n" in text
        assert example["serves"] and example["expects"]
        assert example["qualityCheck"] == path.stem.startswith("qc-")
    # the analysts' questions come before the quality checks
    flags = [e["qualityCheck"] for e in examples]
    assert flags == sorted(flags)


def test_query_header_reads_only_the_opening_comments():
    header = ui.query_header("# title: T\n# question: Q?\n# note: n\nSELECT * WHERE {}\n# title: later\n")
    assert header == {"title": "T", "question": "Q?"}


# ---- the world map -------------------------------------------------------------------------------------

def test_world_map_has_every_state_of_the_graph(store):
    world = json.loads((PROJECT_ROOT / "service" / "web" / "static" / "world.json").read_text())
    keys = {c["key"] for c in world["countries"]}
    states = {r["s"].removeprefix(iris.ID + "state/")
              for r in rows(store, "SELECT ?s WHERE { ?s a <https://w3id.org/alliance-kg/ontology#State> }")
              if not r["s"].startswith(iris.ID + "state/cow-")}  # historical states have no place on today's map
    assert len(states) == 197
    assert states <= keys
    assert "Natural Earth" in world["attribution"]
    for country in world["countries"]:
        assert country["rings"] or len(country["label"]) == 2  # tiny states are drawn as dots


def test_world_map_is_regenerated_identically():
    shipped = json.loads((PROJECT_ROOT / "service" / "web" / "static" / "world.json").read_text())
    assert world_map.build_world(RAW) == shipped


def test_simplify_drops_points_on_a_line_and_keeps_corners():
    line = [[0, 0], [1, 0.01], [2, 0], [2, 2], [0, 2], [0, 0]]
    assert world_map.simplify(line, 0.1) == [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]


def test_world_map_script_reports_a_missing_raw_folder(tmp_path, capsys):
    assert world_map.main(["--raw", str(tmp_path), "-o", str(tmp_path / "w.json")]) == 1
    assert "missing raw data file" in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


# ---- the view-shaped queries -------------------------------------------------------------------------------

def test_memberships_over_time(store):
    answer = rows(store, (QUERIES / "memberships-over-time.rq").read_text())
    nato = [r for r in answer if r["partnership"] == P("nato")]
    assert len(nato) == 32
    assert {r["start"] for r in nato if r["state"] == S("SWE")} == {"2024-03-07"}
    assert sum(r["start"] == "1949-08-24" for r in nato) == 12
    assert {r["kind"] for r in nato} == {"alliance"}
    # undated members (akg:hasMember only) are there, without ?start
    russia_china = [r for r in answer if r["partnership"] == P("russia-china")]
    assert {r["state"] for r in russia_china} == {S("RUS"), S("CHN")}
    assert all("start" not in r for r in russia_china)
    assert {r["kind"] for r in russia_china} == {"strategic partnership"}


def test_diffusion_events(store):
    answer = rows(store, (QUERIES / "diffusion-events.rq").read_text())
    assert len(answer) == 8
    pairs = {(r["from"].rsplit("/", 1)[1], r["to"].rsplit("/", 1)[1]) for r in answer}
    assert pairs == {("IRN", "RUS"), ("PRK", "RUS"), ("CHN", "RUS"), ("RUS", "IRN"), ("RUS", "PRK"),
                     ("RUS", "houthis"), ("IRN", "houthis")}
    assert {r["confidence"] for r in answer if r["to"].endswith("houthis")} == {"alleged"}


# ---- exports -----------------------------------------------------------------------------------------

def test_state_network_on_a_date(store):
    graph = exports.state_network(store, dt.date(2024, 7, 1))
    assert graph.nodes[S("USA")]["label"] == "United States of America"
    assert graph.nodes[S("USA")]["wikidata"] == "http://www.wikidata.org/entity/Q30"
    # the US and the UK share NATO and AUKUS (and ATOP's records in force at its end, 2018); NATO
    # counts once, though ATOP has it too (3180): the curated record stands for both
    shared = graph.edges[S("USA"), S("GBR")]["partnerships"].split(" | ")
    assert {"North Atlantic Treaty Organization (NATO)", "AUKUS (Australia, United Kingdom, United States)"} <= set(shared)
    assert not any(name.startswith("ATOP 3180") for name in shared)
    assert graph.edges[S("USA"), S("GBR")]["weight"] == len(shared)
    # Russia and North Korea: on 2024-07-01 only their treaty of 2000 (ATOP 4940, no defence obligation); their
    # 2024 alliance starts with its entry into force on 2024-12-04 (Interfax/KCNA), when the 2000 treaty ended
    assert graph.edges[S("RUS"), S("PRK")]["alliance"] is False
    assert exports.state_network(store, dt.date(2025, 1, 1)).edges[S("RUS"), S("PRK")]["alliance"] is True
    # Russia and China share the SCO and ATOP's consultation pacts, none an alliance; their own
    # partnership in the paper is undated
    assert "Shanghai Cooperation Organisation (SCO)" in graph.edges[S("RUS"), S("CHN")]["partnerships"].split(" | ")
    assert graph.edges[S("RUS"), S("CHN")]["alliance"] is False
    # Sweden joined NATO on 2024-03-07: not yet a member on 2024-01-01
    before = exports.state_network(store, dt.date(2024, 1, 1))
    assert "North Atlantic Treaty Organization (NATO)" not in before.edges[S("SWE"), S("USA")]["partnerships"]
    assert "North Atlantic Treaty Organization (NATO)" in graph.edges[S("SWE"), S("USA")]["partnerships"]


def test_state_network_of_alliances_only(store):
    graph = exports.state_network(store, dt.date(2024, 7, 1), alliances_only=True)
    assert not graph.has_edge(S("RUS"), S("CHN"))
    assert all(d["alliance"] for _, _, d in graph.edges(data=True))


def test_export_graphml_reads_back_into_networkx(tmp_path):
    out = tmp_path / "states.graphml"
    result = CliRunner().invoke(main, ["export", "--format", "graphml", "--on", "2024-07-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(out)
    assert graph.nodes[S("FIN")]["iso3"] == "FIN"
    assert graph.has_edge(S("FIN"), S("USA"))
    assert not (tmp_path / "states.graphml.part").exists()


@pytest.mark.parametrize("args, message", [
    (["export", "--format", "graphml", "--on", "2024-13-01"], "is not a date of the form YYYY-MM-DD"),
    (["export", "--format", "turtle", "--on", "2024-01-01"], "apply to --format graphml only"),
    (["plot", "map", "-o", "map.pdf"], "must end in .png or .svg"),
    (["plot", "network", "--on", "1800-01-01", "-o", "n.png"], "nothing to draw"),  # before ATOP's first alliance
])
def test_export_and_plot_errors_are_one_clear_line(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert message in result.output
    assert [line for line in result.output.splitlines() if line.startswith("Error")] == \
           [line for line in result.output.splitlines() if message in line]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("picture, suffix, magic", [("map", "png", b"\x89PNG"), ("network", "svg", b"<?xml")])
def test_plot_writes_a_picture(picture, suffix, magic, tmp_path):
    out = tmp_path / f"{picture}.{suffix}"
    result = CliRunner().invoke(main, ["plot", picture, "--on", "2024-07-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)
    assert out.stat().st_size > 10_000


def test_plot_network_labels_the_states(tmp_path, store):
    out = tmp_path / "network.svg"
    exports.plot_network(exports.state_network(store, dt.date(2024, 7, 1), True), out, "test")
    svg = out.read_text()
    for label in ("United States of America", "North Korea", "Sweden"):
        assert label in svg


def test_help_gives_examples():
    for command in (["--help"], ["export", "--help"], ["plot", "--help"], ["docs", "--help"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0 and "Examples:" in result.output, command


# ---- ontology documentation -----------------------------------------------------------------------------

def test_ontology_docs_cover_every_term_with_data_examples(store, tmp_path):
    out = ontology_docs.build(PROJECT_ROOT / "ontology", tmp_path / "index.html", store)
    page = out.read_text(encoding="utf-8")
    terms = rows(store, """
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?term ?label WHERE {
          VALUES ?type { owl:Class owl:ObjectProperty owl:DatatypeProperty }
          GRAPH <https://w3id.org/alliance-kg/graph/ontology/core> { ?term a ?type ; rdfs:label ?label }
        }""")
    assert len(terms) > 50
    for term in terms:
        assert term["term"] in page, term["term"]
    partnerships = rows(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://w3id.org/alliance-kg/ontology#SecurityPartnership> }")
    assert f"In the data: {partnerships[0]['n']} instances, e.g. " in page


def version_in_docs(page: str) -> str:
    """The value pyLODE shows under "Version Info" in the ontology's metadata."""
    import re
    found = re.search(r'owl#versionInfo"[^>]*>Version Info</a>\s*</dt>\s*<dd><p>([^<]+)</p></dd>', page)
    assert found, "no Version Info in the documentation"
    return found.group(1)


def served_version(client) -> str:
    from rdflib import OWL, Graph, URIRef
    response = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle")
    return str(graph.value(URIRef(iris.ONTOLOGY), OWL.versionInfo))


def test_ontology_docs_are_made_from_the_ontology_that_ontology_serves(client, monkeypatch, tmp_path):
    output = tmp_path / "docs" / "index.html"
    monkeypatch.setattr(ui, "ONTOLOGY_DOCS", output)
    monkeypatch.setattr(ontology_docs, "_kept", {})
    response = client.get("/docs/ontology/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert version_in_docs(page) == served_version(client) == "0.2.0"
    assert iris.AKG + "hasObligation" in page, "the ATOP module's terms are documented"
    assert output.read_text(encoding="utf-8") == page, "the page is kept for the next request"


def test_a_stale_ontology_page_is_replaced_not_served(client, monkeypatch, tmp_path):
    output = tmp_path / "index.html"
    stale = '<!-- alliance-kg ontology digest: 0 -->\n<html><a href="http://www.w3.org/2002/07/owl#versionInfo">' \
            'Version Info</a></dt><dd><p>0.1.0</p></dd></html>'
    output.write_text(stale, encoding="utf-8")
    monkeypatch.setattr(ui, "ONTOLOGY_DOCS", output)
    monkeypatch.setattr(ontology_docs, "_kept", {})
    page = client.get("/docs/ontology/").get_data(as_text=True)
    assert version_in_docs(page) == served_version(client)
    assert "0.1.0</p>" not in page and output.read_text(encoding="utf-8") == page


def test_no_ontology_page_is_committed():
    import subprocess
    tracked = subprocess.run(["git", "ls-files", "docs/ontology"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                             check=True).stdout
    assert tracked == "", "docs/ontology/ is made from the ontology, never committed: " + tracked


def test_ontology_docs_without_pylode_say_what_to_install(client, monkeypatch, tmp_path):
    import sys
    monkeypatch.setattr(ui, "ONTOLOGY_DOCS", tmp_path / "index.html")
    monkeypatch.setattr(ontology_docs, "_kept", {})
    monkeypatch.setitem(sys.modules, "pylode", None)
    response = client.get("/docs/ontology/")
    text = response.get_data(as_text=True)
    assert response.status_code == 503 and "pip install -e '.[docs]'" in text
    assert str(tmp_path) not in text, "no server path in an answer"


# ---- the analysts' guide ------------------------------------------------------------------------------

GUIDE = PROJECT_ROOT / "docs" / "guide.md"


def test_guide_names_only_queries_that_exist():
    import re
    named = set(re.findall(r"`([a-z0-9-]+\.rq)`", GUIDE.read_text(encoding="utf-8")))
    assert len(named) > 20
    assert named <= {p.name for p in QUERIES.glob("*.rq")}


def test_guide_covers_every_guiding_question(store):
    guide = GUIDE.read_text(encoding="utf-8")
    questions = rows(store, """PREFIX akg: <https://w3id.org/alliance-kg/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?label WHERE { ?q a akg:GuidingQuestion ; rdfs:label ?label }""")
    assert len(questions) == 6
    for question in questions:
        assert f"| {question['label']} |" in guide, question["label"]


def test_guide_documents_every_column_the_views_read():
    import re
    guide = GUIDE.read_text(encoding="utf-8")
    script = (PROJECT_ROOT / "service" / "web" / "static" / "views.js").read_text(encoding="utf-8")
    lists = re.findall(r"const (?:EDGE_PAIRS|GROUPS|MEMBERS|STARTS|ENDS) = (\[.*?\]);", script, re.DOTALL)
    assert len(lists) == 5
    columns = set(re.findall(r'"(\w+)"', " ".join(lists)))
    assert {"state", "partner", "start", "end", "partnership"} <= columns
    for column in columns:
        assert f"`?{column}`" in guide, column


# ---- what a browser asks of the service -----------------------------------------------------------------

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_a_browser_asking_for_sparql_is_sent_to_the_query_ui(client):
    response = client.get("/sparql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("accept, media_type", [("*/*", "text/turtle"), ("application/rdf+xml", "application/rdf+xml"),
                                                (BROWSER_ACCEPT + ",text/turtle", "text/turtle")])
def test_clients_asking_for_sparql_still_get_the_service_description(client, accept, media_type):
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    assert b"http://www.w3.org/ns/sparql-service-description#" in response.get_data()


def test_the_favicon_is_an_svg_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data().startswith(b"<svg") and b"</svg>" in response.get_data()
    assert client.get("/ui/static/favicon.svg").get_data() == response.get_data()


def test_the_maps_and_exports_count_an_alliance_from_its_clause(store):
    # Russia-Belarus (the paper's record) becomes an alliance with the Treaty on Security Guarantees, in force from
    # 13 March 2025 (Censor.NET citing BelTA). The EU: Article 42(7), from ATOP's phase 2 (2007-11-13; the Treaty of
    # Lisbon, which brought it in, is in force from 1 December 2009: EPRS; Czech National Bank); the earlier counts.
    since = {r["partnership"].value: r["since"].value for r in store.query(exports.ALLIANCE_SINCE).rows()}
    assert since[iris.ID + "partnership/russia-belarus"] == "2025-03-13"
    assert since[iris.ID + "partnership/european-union"] == "2007-11-13"
    assert since[iris.ID + "partnership/nato"] <= "1949-08-24"    # Article 5, from its first day in force
    assert iris.ID + "partnership/african-union" not in since

    def alliance(day: dt.date, partnership: str) -> set:
        return {r["isAlliance"] for r in exports.memberships(store, day) if r["partnership"] == iris.ID + partnership}
    assert alliance(dt.date(2005, 1, 1), "partnership/european-union") == {False}
    assert alliance(dt.date(2010, 1, 1), "partnership/european-union") == {True}
    undated = {r["isAlliance"] for r in exports.memberships(store) if r["partnership"] == iris.ID + "partnership/european-union"}
    assert undated == {True}    # without a date: an alliance at some time, as the reasoner says
    assert iris.ID + "partnership/european-union" not in {
        r["partnership"] for r in exports.memberships(store, dt.date(2005, 1, 1), alliances_only=True)}


# ---- plot map: colours by alliance, presumed marked, the data horizon in the title ----------------------

def test_plot_map_colours_states_by_their_alliance_and_marks_presumed_ones(tmp_path, store):
    day = dt.date(2024, 7, 1)
    records = exports.memberships(store, day, alliances_only=True)
    title = exports.map_title(day, exports.curated_until(store), True, records)
    drawn = exports.plot_map(records, tmp_path / "map.png", title)
    states = drawn["states"]
    nato = "North Atlantic Treaty Organization (NATO)"
    for key in ("USA", "FRA", "DEU", "SWE"):  # NATO shows for NATO members, not the Rio Pact or ATOP 3740
        assert states[key]["colour"] == nato and not states[key]["presumed"], (key, states[key])
    assert nato in dict(drawn["legend"])
    # every partnership is kept, alliances first: the US also in ANZUS and the Rio Pact (ATOP 3150)
    assert any(p.startswith("ATOP 3150") for p in states["USA"]["partnerships"])
    assert "ANZUS (Australia, New Zealand, United States)" in states["USA"]["partnerships"]
    # Brazil: only in ATOP records that no source confirms after 2018, so presumed
    assert states["BRA"]["presumed"] and states["BRA"]["colour"].startswith("ATOP 3150")
    assert (tmp_path / "map.png").read_bytes().startswith(b"\x89PNG")


def test_plot_map_with_every_partnership_still_puts_alliances_first(tmp_path, store):
    day = dt.date(2024, 7, 1)
    records = exports.memberships(store, day, alliances_only=False)
    states = exports.plot_map(records, tmp_path / "map.png", "test")["states"]
    assert states["USA"]["colour"] == "North Atlantic Treaty Organization (NATO)"
    assert not any(p.startswith("ATOP 3740") for p in [states[k]["colour"] for k in ("USA", "RUS", "FRA")])


def test_plot_map_title_states_the_data_horizon_not_today(store):
    day = dt.date(2024, 7, 1)
    records = exports.memberships(store, day, alliances_only=True)
    title = exports.map_title(day, exports.curated_until(store), True, records)
    assert title.startswith("Alliances in force on 2024-07-01")
    assert "curated to 2025-12-31" in title
    assert "presumed (hatched, lighter) = no source after their last confirmation, 2018-12-31" in title
    assert dt.date.today().isoformat() not in title


def test_plot_map_defaults_to_alliances_on_the_curation_date(tmp_path, monkeypatch):
    seen = {}
    real = exports.plot_map
    monkeypatch.setattr(exports, "plot_map", lambda records, output, title: seen.update(
        drawn=real(records, output, title)))
    out = tmp_path / "map.png"
    result = CliRunner().invoke(main, ["plot", "map", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert seen["drawn"]["title"].startswith("Alliances in force on 2025-12-31 (alliance-kg: data curated to 2025-12-31;")
    result = CliRunner().invoke(main, ["plot", "map", "--alliances-only", "--all-partnerships", "-o", str(out)])
    assert result.exit_code != 0 and "exclude each other" in result.output
