"""Renderers for assessments and change reports (graph/assessments.py): text, Markdown and a
printable HTML briefing, from the Jinja templates in templates/briefings/. Used by the CLI (links to
the entities' IRIs) and by the /assess and /changes pages (links to this service's /id/ pages)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, select_autoescape

FORMATS = ("text", "markdown", "html", "json")
_SUFFIX = {"text": "txt", "markdown": "md", "html": "html"}
_environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates" / "briefings"),
                           autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                           keep_trailing_newline=True)


def render(report: dict, fmt: str, href: Callable[[str], str] = lambda iri: iri) -> str:
    """The report (kind "assessment" or "changes") in one of FORMATS."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if fmt not in _SUFFIX:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    name = "assess" if report["kind"] == "assessment" else "changes"
    return _environment.get_template(f"{name}.{_SUFFIX[fmt]}").render(r=report, href=href)
