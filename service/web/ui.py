"""Blueprint: the analyst's query UI at / (YASGUI, the saved queries as examples, network/map/timeline views).

YASGUI is third-party code installed at set-up from the npm registry into service/web/static/node_modules
(`npm ci --prefix service/web/static`), never committed; this blueprint serves its two bundle files and the
project's own scripts, and says plainly at / when the bundle is missing.
"""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, send_from_directory

from service import iris
from service.config import PROJECT_ROOT

STATIC_DIR = Path(__file__).resolve().parent / "static"
YASGUI_DIR = STATIC_DIR / "node_modules" / "@zazuko" / "yasgui" / "build"
YASGUI_FILES = {"yasgui.min.js": "text/javascript", "yasgui.min.css": "text/css"}
INSTALL_COMMAND = "npm ci --prefix service/web/static"
ONTOLOGY_DOCS = Path(__file__).resolve().parents[2] / "docs" / "ontology" / "index.html"
HEADER_FIELDS = ("title", "question", "serves", "expects")

OWN_FILES = {"workbench.js": "text/javascript", "completion.js": "text/javascript", "views.js": "text/javascript",
             "network.js": "text/javascript", "workbench.css": "text/css",
             "world.json": "application/json", "favicon.svg": "image/svg+xml"}

bp = Blueprint("ui", __name__, template_folder="templates")


def yasgui_installed() -> bool:
    return all((YASGUI_DIR / name).is_file() for name in YASGUI_FILES)


def query_header(text: str) -> dict:
    """The `# field: value` lines that open a saved query (queries/README.md), as a dict."""
    fields = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        name, colon, value = line[1:].strip().partition(":")
        if colon and name.strip() in HEADER_FIELDS:
            fields[name.strip()] = value.strip()
    return fields


def examples(queries_dir: Path) -> list[dict]:
    """Every saved query with its header, for the UI's list of examples (quality checks last)."""
    found = []
    for path in sorted(queries_dir.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        header = query_header(text)
        found.append({"name": path.stem, "title": header.get("title", path.stem),
                      "question": header.get("question", ""), "serves": header.get("serves", ""),
                      "expects": header.get("expects", ""), "qualityCheck": path.stem.startswith("qc-"),
                      "query": text})
    return sorted(found, key=lambda e: (e["qualityCheck"], e["title"].lower()))


def _in_project(path: Path) -> str:
    """A path as the project folder names it: a page never shows where the server's files are."""
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return path.name


@bp.route("/")
def index():
    settings = {"endpoint": "/sparql", "prefixes": iris.PREFIXES, "idBase": iris.ID,
                "examplesUrl": "/ui/examples.json", "termsUrl": "/ui/terms.json", "worldUrl": "/ui/static/world.json"}
    if not yasgui_installed():
        page = render_template("ui/missing_yasgui.html", command=INSTALL_COMMAND,
                               yasgui_dir=_in_project(YASGUI_DIR))
        return Response(page, status=503, mimetype="text/html")
    return render_template("ui/index.html", settings=json.dumps(settings))


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask every site for /favicon.ico: an SVG (which they render whatever the name), not a 404."""
    return send_from_directory(STATIC_DIR, "favicon.svg", mimetype="image/svg+xml", max_age=86400)


@bp.route("/ui/examples.json")
def examples_json():
    return jsonify(examples(current_app.config["QUERIES_DIR"]))


@bp.route("/ui/terms.json")
def terms_json():
    """The akg: classes and properties with label and definition, for the editor's autocompletion."""
    from service.web.ontology_terms import cached_terms
    response = jsonify(cached_terms(current_app.extensions["alliance_kg.store"]))
    response.cache_control.max_age = 300
    return response


@bp.route("/ui/static/<name>")
def own_file(name: str):
    """The project's own scripts, styles and map (not node_modules, which only /ui/vendor/ reaches)."""
    if name not in OWN_FILES:
        return Response(f"No file {name} here.\n", status=404, mimetype="text/plain")
    return send_from_directory(STATIC_DIR, name, mimetype=OWN_FILES[name], max_age=300)


@bp.route("/ui/vendor/<name>")
def vendor(name: str):
    if name not in YASGUI_FILES:
        return Response(f"No vendored file {name}; served: {', '.join(YASGUI_FILES)}.\n", status=404,
                        mimetype="text/plain")
    if not yasgui_installed():
        return Response(f"YASGUI is not installed: run `{INSTALL_COMMAND}`.\n", status=503, mimetype="text/plain")
    return send_from_directory(YASGUI_DIR, name, mimetype=YASGUI_FILES[name], max_age=3600)


@bp.route("/docs/ontology/")
def ontology_html():
    """The pyLODE documentation of the ontology the store holds (what /ontology serves), made on the first
    request after it changed; /ontology sends HTML here."""
    from service.web import ontology_docs
    try:
        page = ontology_docs.current_page(current_app.extensions["alliance_kg.store"], ONTOLOGY_DOCS)
    except ontology_docs.DocsError as error:
        return Response(f"The ontology documentation cannot be made: {error}.\n", status=503, mimetype="text/plain")
    return Response(page, mimetype="text/html")
