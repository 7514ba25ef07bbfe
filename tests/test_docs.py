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
