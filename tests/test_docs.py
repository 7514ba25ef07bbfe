"""Every CLI command and option, every setting and every HTTP route is documented (after datasette's
test_docs.py): adding one without a word in README.md or docs/ fails here, naming it."""
from __future__ import annotations

from pathlib import Path

import click
import pytest

from service import config
from service.cli import main

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def documentation() -> str:
    texts = [(PROJECT_ROOT / "README.md").read_text()]
    texts += [p.read_text() for p in sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    return "\n".join(texts)


DOCS = documentation()


def commands(group: click.Group, prefix: str = ""):
    for name, command in sorted(group.commands.items()):
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix}{name} ")


COMMANDS = list(commands(main))
OPTIONS = [(name, option) for name, command in COMMANDS for param in command.params
           if isinstance(param, click.Option) for option in param.opts if option.startswith("--")
           and option != "--help"]


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS])
def test_every_command_is_documented(name):
    assert f"alliance-kg {name}" in DOCS, f"`alliance-kg {name}` is not in README.md or docs/*.md"


@pytest.mark.parametrize("command,option", OPTIONS, ids=[f"{c} {o}" for c, o in OPTIONS])
def test_every_option_is_documented(command, option):
    assert option in DOCS, f"the option {option} of `alliance-kg {command}` is not in README.md or docs/*.md"


@pytest.mark.parametrize("setting", sorted(config.DEFAULTS))
def test_every_setting_is_documented(setting):
    assert f"ALLIANCE_KG_{setting}" in DOCS, f"the setting ALLIANCE_KG_{setting} is not in README.md or docs/*.md"


def routes():
    from service import create_app
    app = create_app({"TESTING": True})
    try:
        return sorted({rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"})
    finally:
        app.extensions["alliance_kg.close"]()


ROUTES = routes()


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_is_documented(route):
    # a route's variable parts are written {name} in the docs, as `/id/{kind}/{key}`
    written = route.replace("<path:", "<").replace("<", "{").replace(">", "}")
    fixed = written.split("{")[0].rstrip("/") or "/"
    assert written in DOCS or f"`{fixed}" in DOCS or f"{fixed}`" in DOCS or f"<{fixed}" in DOCS, \
        f"the route {route} is not in README.md or docs/*.md"


def test_the_docs_check_sees_every_route():
    assert {"/sparql", "/rdf-graphs", "/health", "/check", "/metrics", "/"} <= set(ROUTES)


def test_the_notebooks_imports_are_in_the_extra_the_readme_names():
    """README names one pip command for docs/examples/alliances.ipynb; every module the notebook imports
    comes with Python, with the project's own dependencies or with that extra."""
    import ast
    import importlib.metadata
    import json
    import re
    import sys
    import tomllib

    extra = re.search(r"pip install -e '\.\[(\w+)\]' && \S*jupyter lab\s+docs/examples/alliances\.ipynb", DOCS)
    assert extra, "README names no extra to install for docs/examples/alliances.ipynb"
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    requirement_name = lambda r: re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower()
    offered = {requirement_name(r) for r in project["dependencies"] + project["optional-dependencies"][extra[1]]}
    notebook = json.loads((PROJECT_ROOT / "docs" / "examples" / "alliances.ipynb").read_text())
    modules = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            for statement in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(statement, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in statement.names}
                elif isinstance(statement, ast.ImportFrom):
                    modules.add(statement.module.split(".")[0])
    distributions = importlib.metadata.packages_distributions()
    missing = {m for m in modules - set(sys.stdlib_module_names)
               if not {d.lower() for d in distributions.get(m, [m])} & offered}
    assert {"pandas", "SPARQLWrapper", "matplotlib"} <= modules
    assert not missing, f"the notebook imports {sorted(missing)}, in no dependency and not in the {extra[1]} extra"
    assert "jupyterlab" in offered  # the README's command opens it in JupyterLab
