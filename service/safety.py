"""What a query may not ask of the server: to fetch from elsewhere.

Oxigraph follows SERVICE to any URL by itself, so a federated query is refused before it reaches
the engine. The scan works on the query's tokens, not its text: the word inside a string, an IRI,
a comment, a prefixed name or a variable does not count.
"""
from __future__ import annotations

import re

_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*",
    re.DOTALL,
)
_SERVICE = re.compile(r"(?<![\w:?$.-])SERVICE(?![\w:-])", re.IGNORECASE)


class ForbiddenQuery(ValueError):
    def __init__(self, message: str, line: int, column: int):
        self.line, self.column = line, column
        super().__init__(f"{message} (line {line}, column {column})")


def check(query: str, allowed_services: frozenset[str] = frozenset()) -> None:
    """Raise ForbiddenQuery if the query calls SERVICE on an endpoint not in the allow list."""
    blanked = _OPAQUE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), query)
    for match in _SERVICE.finditer(blanked):
        target = re.match(r"\s*(?:SILENT\s+)?<([^>]*)>", query[match.end():], re.IGNORECASE)
        if target and target.group(1) in allowed_services:
            continue
        line = query.count("\n", 0, match.start()) + 1
        column = match.start() - (query.rfind("\n", 0, match.start()) + 1) + 1
        raise ForbiddenQuery("SERVICE is not allowed: this endpoint does not federate to other endpoints",
                             line, column)
