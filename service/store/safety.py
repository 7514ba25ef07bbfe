"""What a query or update may not ask of the server: to fetch from elsewhere.

Oxigraph follows SERVICE to any URL by itself, and LOAD in an update fetches its IRI, so both are
refused before a request reaches the engine (SERVICE only to endpoints on the allow list). The decision
is taken on the parsed request, never on its text: a text scanner was walked past five ways (a dot
before the keyword, a comment ended by a carriage return, a \\u escape, an escaped character in a
prefixed name, ...). The parser is rdflib's, fed what the engine reads: \\u escapes expanded first, as
SPARQL says, and a lone carriage return ending a line (and so a comment), as Oxigraph reads it.
A request whose text, escapes expanded, nowhere contains the word SERVICE (or LOAD) cannot call one
and is passed without parsing; one that contains it and cannot be parsed is refused.

Behind this wall stands a second (sandbox.py): queries and updates run where no Internet socket can
be opened, so a parser gap still fetches nothing. FROM and FROM NAMED only select graphs already in
the store, and the JSON-LD parser has no loader for remote contexts: neither can reach out
(tests/store/test_safety.py proves all of this against a local listener).
"""
from __future__ import annotations

import functools
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


# Without triple quotes no string spans lines, so each line is looked at alone. On a line without "'",
# a '"' is a string's start or inside a comment (never inside an IRI, which holds no '"'), so the
# strings "..." can go. Then a comment that is surely one: "#" at the line's start or after
# whitespace (so not inside an IRI, which holds no whitespace) with no quote left before it. Anything
# unsure stays, and at worst sends the query to the parser.
_SHORT_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SURE_COMMENT = re.compile(r"(?:^|(?<=[ \t]))#")
_LINE = re.compile(r"[^\r\n]+")


# The run of name characters just before a word: a variable, a prefixed name, a blank node or a
# language tag ("?", "$", ":" or "@" in it) takes the letters after it into itself (?oSERVICE is one
# variable), but a bare word does not: Oxigraph reads `falseSERVICE <...>` as false, then SERVICE, and
# `ASKFROM <g>` as ASK FROM. "." and "-" end the run, since `?o.SERVICE` is a triple's end, then SERVICE. A run longer than the window looked at
# counts as bare: the request goes to the parser.
_NAME_RUN = re.compile(r"[\w:?$@]*\Z")


def might_hold_keyword(read: str, keyword: str) -> bool:
    """False only when `keyword` cannot be a keyword of this request (already read as the engine reads
    it, engine_text): it appears nowhere but in strings, comments and longer names (akg:diffusedFrom,
    ?from, ex:service). The parse this spares costs 10-300 ms over a query of queries/, more than most
    of them take."""
    if keyword not in read.lower():
        return False
    if "'''" not in read and '"""' not in read:
        read = _LINE.sub(lambda line: _code_of_line(line.group()), read)
    for found in re.finditer(keyword, read, re.IGNORECASE):
        start = found.start()  # a window, so that many occurrences cost no more than one pass each
        before = _NAME_RUN.search(read, max(0, start - 64), start).group()
        if read[start - len(before) - 1:start - len(before)] == "#":
            # "#" outside strings and IRIs opens a comment: the word, joined to it, is in a comment, an
            # IRI or a string (<...prov#wasDerivedFrom> would otherwise cost a parse, 25 ms)
            continue
        if not any(mark in before for mark in "?$:@"):
            return True
    return False


def _code_of_line(line: str) -> str:
    if "'" not in line:
        line = _SHORT_STRING.sub(" ", line)
    comment = _SURE_COMMENT.search(line)
    if comment is None or "'" in line[:comment.start()] or '"' in line[:comment.start()]:
        return line
    return line[:comment.start()]


REMEMBERED_CHARACTERS = 65_536  # has_dataset_clause remembers its answer for queries up to this long


def has_dataset_clause(query: str) -> bool:
    """Whether the query names its dataset with FROM or FROM NAMED, decided on the parsed query (a text
    scan missed a FROM hidden behind a comment ended by CR or a \\u escape, and queried the whole store).
    A query that mentions FROM but cannot be parsed counts as having one: the engine then reads its
    FROM itself, or only the default graph, never more than asked. The answer is remembered for the
    last 256 queries (up to REMEMBERED_CHARACTERS long): a query worker is asked the same saved queries
    again and again, and deciding costs 0.05-0.2 ms where no FROM is written, a parse 10-300 ms where one is."""
    if len(query) > REMEMBERED_CHARACTERS:
        return _has_dataset_clause(query)
    return _remembered_has_dataset_clause(query)


def _has_dataset_clause(query: str) -> bool:
    read = engine_text(query)
    if not might_hold_keyword(read, "from"):
        return False
    tree = parse(read, update=False)
    return tree is None or "datasetClause" in tree[1]


_remembered_has_dataset_clause = functools.lru_cache(maxsize=256)(_has_dataset_clause)


def update_operations(update: str) -> list | None:
    """The operations of an update as rdflib parses it (what the engine reads), or None if it cannot."""
    tree = parse(engine_text(update), update=True)
    return None if tree is None else list(tree.request)


def parse(read: str, update: bool):
    """rdflib's parse tree of a request already read as the engine reads it (engine_text, which must
    not be applied twice: an escaped backslash would expand again), or None if it cannot be parsed."""
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    try:
        return (parseUpdate if update else parseQuery)(read)
    except (ParseBaseException, ValueError, TypeError, RecursionError):
        return None


_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def engine_text(text: str) -> str:
    """The request as the engine reads it: \\u and \\U escapes expanded, a lone CR a line end."""
    def expand(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group()
    return _ESCAPE.sub(expand, text).replace("\r\n", "\n").replace("\r", "\n")


def _first_word(text: str, word: str) -> tuple[int, int]:
    match = re.search(word, text, re.IGNORECASE)
    return _where(text, match.start()) if match else (1, 1)


def _calls(tree, found: list) -> list:
    """The SERVICE targets and LOAD sources anywhere in an rdflib parse tree, as (kind, term)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue
    if isinstance(tree, CompValue):
        if tree.name == "ServiceGraphPattern":
            found.append(("SERVICE", tree.get("term")))
        elif tree.name == "Load":
            found.append(("LOAD", tree.get("iri")))
        for value in tree.values():
            _calls(value, found)
    elif isinstance(tree, (list, tuple, ParseResults)):
        for value in tree:
            _calls(value, found)
    return found


def _service_refusal(allowed_services: frozenset[str]) -> str:
    return ("SERVICE is not allowed: this endpoint does not federate to other endpoints"
            + (" except those on its allow list" if allowed_services else ""))


_LOAD_REFUSAL = ("LOAD is not allowed: this server never fetches data from a URL or file; "
                 "send the data itself (INSERT DATA, or PUT/POST to /rdf-graphs)")


MAX_NESTING = 200  # brackets deep; the engine's recursive parser overflows its stack near 3,000
_BRACKETS = re.compile(r"[{}()\[\]]")


def check_nesting(text: str) -> None:
    """ForbiddenQuery for a request nested deeper than MAX_NESTING: past some depth the engine's parser
    exhausts the stack and kills its process, which would read as a server failure, not the client's."""
    if text.count("{") + text.count("(") + text.count("[") <= MAX_NESTING:
        return  # too few brackets to nest that deep: no scan (the common case, and a cheap one)
    depth = 0
    blanked = blank_opaque(text)
    for match in _BRACKETS.finditer(blanked):
        if match.group() in "{([":
            depth += 1
            if depth > MAX_NESTING:
                raise ForbiddenQuery(f"the request nests brackets more than {MAX_NESTING} deep, this endpoint's "
                                     "limit", *_where(blanked, match.start()))
        else:
            depth -= 1


MAX_PARSED_CHARACTERS = 262_144


def _check(text: str, allowed_services: frozenset[str], update: bool) -> None:
    read = engine_text(text)
    check_nesting(read)
    words = ["service"] + (["load"] if update else [])
    present = [word for word in words if might_hold_keyword(read, word)]
    if not present:
        return
    if len(read) > MAX_PARSED_CHARACTERS:  # rdflib's parser takes ~1.5 s a megabyte, in a request thread
        word = present[-1].upper()
        refusal = _LOAD_REFUSAL if word == "LOAD" else _service_refusal(allowed_services)
        raise ForbiddenQuery(f"{refusal}; the request contains the word {word} and, at {len(read):,} characters "
                             f"(over {MAX_PARSED_CHARACTERS:,}), is too long to be proved free of one",
                             *_first_word(read, word))
    tree = parse(read, update)
    if tree is None:
        word = present[-1].upper()
        refusal = _LOAD_REFUSAL if word == "LOAD" else _service_refusal(allowed_services)
        raise ForbiddenQuery(f"{refusal}; the request contains the word {word} and could not be parsed to "
                             "prove it does not call one", *_first_word(read, word))
    from rdflib import URIRef  # here: the query workers' fork server imports this module, and rdflib takes 50 ms
    for kind, term in _calls(tree, []):
        if kind == "LOAD":
            raise ForbiddenQuery(_LOAD_REFUSAL, *_first_word(read, "LOAD"))
        if not (isinstance(term, URIRef) and str(term) in allowed_services):
            raise ForbiddenQuery(_service_refusal(allowed_services), *_first_word(read, "SERVICE"))


def check(query: str, allowed_services: frozenset[str] = frozenset()) -> None:
    """Raise ForbiddenQuery if the query calls SERVICE on an endpoint not in the allow list."""
    _check(query, allowed_services, update=False)


def check_update(update: str, allowed_services: frozenset[str] = frozenset()) -> None:
    """Raise ForbiddenQuery for LOAD (the server never fetches data) or a SERVICE not allowed."""
    _check(update, allowed_services, update=True)
