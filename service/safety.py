"""What a query or update may not ask of the server: to fetch from elsewhere.

Oxigraph follows SERVICE to any URL by itself, and LOAD in an update fetches its IRI, so both are
refused before a request reaches the engine (SERVICE only to endpoints on the allow list). FROM and
FROM NAMED only select graphs already in the store, and the JSON-LD parser has no loader for remote
contexts: neither can reach out (tests/test_safety.py proves all of this against a local listener).
The scan works on the query's tokens, not its text: a keyword inside a string, an IRI, a comment, a
prefixed name or a variable does not count.
"""
from __future__ import annotations

import re
from typing import Iterator

_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n]*",
    re.DOTALL,
)


class ForbiddenQuery(ValueError):
    def __init__(self, message: str, line: int, column: int):
        self.line, self.column = line, column
        super().__init__(f"{message} (line {line}, column {column})")


def blank_opaque(text: str) -> str:
    """The text with strings, IRIs and comments blanked out (same length, newlines kept)."""
    return _OPAQUE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def keyword_positions(text: str, keyword: str, blanked: str | None = None) -> Iterator[int]:
    """Offsets where `keyword` occurs as a SPARQL keyword (case-insensitive)."""
    pattern = re.compile(rf"(?<![\w:?$.-]){keyword}(?![\w:-])", re.IGNORECASE)
    for match in pattern.finditer(blanked if blanked is not None else blank_opaque(text)):
        yield match.start()


def _where(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def has_dataset_clause(query: str) -> bool:
    """Whether the query names its dataset with FROM or FROM NAMED."""
    return next(keyword_positions(query, "FROM"), None) is not None


def check(query: str, allowed_services: frozenset[str] = frozenset()) -> None:
    """Raise ForbiddenQuery if the query calls SERVICE on an endpoint not in the allow list."""
    for offset in keyword_positions(query, "SERVICE"):
        target = re.match(r"\s*(?:SILENT\s+)?<([^>]*)>", query[offset + len("SERVICE"):], re.IGNORECASE)
        if target and target.group(1) in allowed_services:
            continue
        raise ForbiddenQuery("SERVICE is not allowed: this endpoint does not federate to other endpoints"
                             + (" except those on its allow list" if allowed_services else ""),
                             *_where(query, offset))


def check_update(update: str, allowed_services: frozenset[str] = frozenset()) -> None:
    """Raise ForbiddenQuery for LOAD (the server never fetches data) or a SERVICE not allowed."""
    for offset in keyword_positions(update, "LOAD"):
        raise ForbiddenQuery("LOAD is not allowed: this server never fetches data from a URL or file; "
                             "send the data itself (INSERT DATA, or PUT/POST to /rdf-graphs)",
                             *_where(update, offset))
    check(update, allowed_services)
