"""A SPARQL parser's error, put in words a person can act on.

Oxigraph says where a query stops parsing and what it expected there; for an undeclared prefix that is
a page of Unicode character classes, and for a misspelt keyword the first rule that happened to fail
(`SELEC` "expected CONSTRUCT"). The position is kept; the rest is replaced by the prefix to declare, or
the keyword the word near the error most likely meant."""
from __future__ import annotations

import difflib
import re

from service import iris

# The namespaces the project's queries, ontology and UI use: an undeclared one gets its PREFIX line.
KNOWN_PREFIXES = {
    **iris.PREFIXES,
    "src": iris.ID + "source/",
    "akgsrc": iris.ID + "source/",
    "theatre": iris.ID + "theatre/",
    "akgsh": iris.BASE + "shapes#",
    "sh": "http://www.w3.org/ns/shacl#",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "schema": "http://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "time": "http://www.w3.org/2006/time#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "cco": "https://www.commoncoreontologies.org/",
}

KEYWORDS = """SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED PREFIX BASE OPTIONAL FILTER UNION MINUS GRAPH SERVICE
BIND VALUES GROUP BY ORDER HAVING LIMIT OFFSET DISTINCT REDUCED AS ASC DESC EXISTS NOT IN UNDEF SILENT INSERT
DELETE DATA LOAD CLEAR DROP CREATE ADD MOVE COPY WITH USING DEFAULT ALL INTO TO COUNT SUM MIN MAX AVG SAMPLE
GROUP_CONCAT SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT
STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES
SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI
ISURI ISBLANK ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE""".split()
_KEYWORD_SET = set(KEYWORDS)

_POSITION = re.compile(r"error at (\d+):(\d+)")
_PREFIXED_NAME_END = re.compile(r"([A-Za-z][\w.-]*)?:[\w.%-]*$")
# what is not a bare word: IRIs, strings, variables, prefixed names and comments are skipped over
_TOKEN = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[?$]\w+|#[^\n]*|[\w.-]*:[\w.%-]*|([A-Za-z_]\w*)")


def explain(query: str, message: str) -> str:
    """The parser's `message` about `query`, rewritten where it can be said better; else unchanged."""
    position = _POSITION.search(message)
    if position is None:
        return message
    line, column = int(position.group(1)), int(position.group(2))
    where = f"error at {line}:{column}"
    lines = query.splitlines() or [""]
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if "Prefix not found" in message:
        return where + ": " + _undeclared_prefix(text[:column - 1])
    meant = _misspelt_keyword(lines, line, column)
    if meant:
        word, keyword = meant
        return f"{where}: '{word}' is not a SPARQL keyword; did you mean {keyword}?"
    return message


def _undeclared_prefix(before: str) -> str:
    found = _PREFIXED_NAME_END.search(before.rstrip())
    prefix = (found.group(1) or "") if found else None
    if prefix is None:
        return "a prefix is used that the query does not declare: add a PREFIX line for it at the top"
    namespace = KNOWN_PREFIXES.get(prefix)
    if namespace:
        return f"the prefix {prefix}: is not declared; add this line at the top of the query: PREFIX {prefix}: <{namespace}>"
    return (f"the prefix {prefix}: is not declared; add a line PREFIX {prefix}: <namespace IRI> at the top of the query "
            f"(the prefixes this graph uses: {', '.join(sorted(KNOWN_PREFIXES))})")


def _misspelt_keyword(lines: list[str], line: int, column: int) -> tuple[str, str] | None:
    """The bare word nearest before the error (on its line or the one above) that is close to a keyword."""
    words = []
    for number in (line - 1, line):
        if 0 < number <= len(lines):
            text = lines[number - 1] if number < line else lines[number - 1][:column + 20]
            words += [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]
    for word in reversed(words):
        if word.upper() in _KEYWORD_SET or word == "a":
            continue
        close = difflib.get_close_matches(word.upper(), KEYWORDS, n=1, cutoff=0.75)
        if close:
            return word, close[0]
    return None
