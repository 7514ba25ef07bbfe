"""A query's answer, serialised once in its final format within the row and byte limits; large ones in parts.

The answer is written by the engine straight in the format the client asked for, through a sink that
counts its bytes and its rows as they pass (rows are counted in the bytes themselves: a line of TSV, a
line of CSV outside its quoted terms, a `<result>` of XML, an object of the JSON `bindings` array, counted
again outside its strings when a string could be mistaken for one; the triples of a graph one by one). An
answer of up to `stream_above` bytes is kept and returned whole. A larger one goes on, as the engine
writes it, into a temporary file without a name (so nothing is left on disk however the process ends),
while the sink goes on counting: both limits are decided (422) before the first byte leaves, and the
answer is then read back in parts to the caller (the worker's pipe, then the HTTP response), so that no
process holds it whole. The query is evaluated once, whatever the answer holds (a large answer was
evaluated again, to be sent or to be counted, which doubled its time). A result over a limit is
refused, never truncated.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from typing import Callable, Iterator

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from service.store import negotiation
from service.store.oxigraph import GRAPH_FORMATS, RESULT_FORMATS
from service.store.syntax_errors import explain

# bytes: a larger answer is sent in parts from its temporary file, never held whole. Every saved query's
# answer on the shipped graph is smaller (the largest, facts-from-sources-beyond-the-paper, 3.2 MB of
# JSON, took twice its time in parts at 1 MiB when parts meant a second evaluation); the memory held is
# at most this much per query slot.
STREAM_ABOVE = 8 << 20
PART_BYTES = 1 << 16    # the size of a part through the pipe and into the response


@dataclass(frozen=True)
class QueryRequest:
    query: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    base_iri: str | None = None
    accept: str = ""
    format_name: str | None = None
    max_rows: int = 100_000
    max_bytes: int | None = None  # the answer's size in bytes, in its final format
    stream_above: int | None = STREAM_ABOVE  # None: always answered whole


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    # the bytes; or the parts of a streamed answer (an iterator: close() drops the rest); None in the
    # header a worker sends before the parts
    body: bytes | Iterator[bytes] | None

    def content(self) -> bytes:
        """The whole body, the parts of a streamed one joined (for callers that need it all at once)."""
        return self.body if isinstance(self.body, bytes) else b"".join(self.body)


@dataclass(frozen=True)
class Streamed:
    """An answer within the limits but larger than `stream_above`: `write(send)` hands it to `send` in
    parts of PART_BYTES from its temporary file, then closes the file (so it is written once)."""
    media_type: str
    write: Callable[[Callable[[bytes], None]], None]


class TooManyRows(Exception):
    pass


class TooLarge(Exception):
    pass


class NoRoomToSpool(Exception):
    """The temporary file of a large answer could not be written (a full disk)."""


def error(status: int, message: str) -> Answer:
    return Answer(status, "text/plain", (message.rstrip() + "\n").encode())


# How rows show in the bytes of each format: (the mark counted once per row, how many marks precede the
# rows). An XML text escapes every '<'; a TSV term escapes its line breaks; a CSV term holding one is quoted,
# so CSV's marks are counted outside the quotes (`_Quoted`). A JSON string escapes every '"', so '{"' after
# '[' or ',' starts a row (the bindings of a row are separated by ',"'), unless it is a string's end
# ('"a,{"'); an empty row, '{}', has no such mark, and '{}' may also be in a string. So the JSON count is
# taken again outside the strings (`_JSON_ROWS`), from the first byte, when it passes the limit or meets a
# '{}'; both are rare, and the marks are counted several times as fast.
_MARKS = {
    "text/tab-separated-values": ((b"\n",), 1),
    "application/sparql-results+xml": ((b"<result>",), 0),
    "application/sparql-results+json": ((b'[{"', b',{"'), 0),
    "text/csv": ((b"\n",), 1),
}
_JSON = "application/sparql-results+json"
_JSON_ROWS = (b"[{", b",{")  # outside the strings (which a string cannot separate: '{' never follows one)
# A byte every row holds at least once, so its count is at least the rows': counted first, since one byte is
# counted several times as fast as the marks (a 3 MB JSON answer: 1 ms against 7). While it stays within the
# limit, so do the rows, and the marks are never looked for; most answers end so.
_BOUND = {
    "application/sparql-results+xml": b"<",
    "application/sparql-results+json": b"{",
    "text/csv": b"\n",
}
_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)


class _Quoted:
    """Splits text written in pieces into what lies outside its quoted strings: for CSV, where a quote
    within a term is doubled (which the count of quotes takes in its stride), and for JSON, where it is
    escaped with a backslash (escapes are taken out first, one that straddles two pieces too)."""

    def __init__(self, escapes: bool):
        self.escapes, self.inside, self.escaped = escapes, False, False

    def outside(self, data: bytes) -> bytes:
        if self.escaped:
            data, self.escaped = data[1:], False
        if self.escapes and b"\\" in data:
            data = _JSON_ESCAPE.sub(b"", data)
            if data.endswith(b"\\"):
                data, self.escaped = data[:-1], True
        if not self.inside and b'"' not in data:
            return data
        pieces = data.split(b'"')
        outside = b"".join(pieces[1 if self.inside else 0::2])
        self.inside ^= len(pieces) % 2 == 0
        return outside


class _Sink:
    """A file-like sink for the engine's serialiser: counts bytes and rows, refuses past the limits (raises
    TooLarge, TooManyRows), keeps what it is given up to `keep` bytes (None: all of it), and past that
    writes it all to `spool`, a temporary file."""

    def __init__(self, media_type: str, max_rows: int, max_bytes: int | None, keep: int | None):
        self.marks, self.header_marks = _MARKS.get(media_type, ((), 0))
        self.media_type, self.max_rows, self.max_bytes = media_type, max_rows, max_bytes
        self.keep = keep
        self.size, self.marked = 0, 0
        self.quoted = _Quoted(escapes=False) if media_type == "text/csv" else None
        self.recount = False  # a JSON count to take again outside the strings, once this write is kept
        # the bound counted until it passes the limit (or the answer is no longer kept whole); from then on
        # the marks, over the kept parts first
        self.bound_byte = _BOUND.get(media_type)
        self.bounded = 0
        self.marking = bool(self.marks) and self.bound_byte is None
        self.parts: list[bytes] = []
        self.spool = None
        self._tail = b""
        self._tail_length = max((len(mark) for mark in self.marks), default=1) - 1

    def write(self, data) -> int:
        data = bytes(data)
        self.size += len(data)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge()
        if self.bound_byte is not None:
            self.bounded += data.count(self.bound_byte)
            if self.bounded > self.max_rows or not self.kept:
                self._start_marking()
        if self.marking:
            self._mark(data)
        if self.kept:
            self.parts.append(data)
        else:  # the parts kept so far go first, once
            self._spool(*self.parts, data)
            self.parts = []
        if self.recount:
            self._recount()
        return len(data)

    @property
    def kept(self) -> bool:
        """Whether the answer so far is held whole in `parts` (the size only grows: once past, for good)."""
        return self.keep is None or self.size <= self.keep

    def _spool(self, *data: bytes) -> None:
        try:
            if self.spool is None:
                self.spool = tempfile.TemporaryFile(prefix="alliance-kg-answer-")  # unnamed on Linux (O_TMPFILE)
            self.spool.writelines(data)
        except OSError as failure:
            raise NoRoomToSpool(failure.strerror or str(failure)) from None

    def _start_marking(self) -> None:
        """From the bound to the marks: every byte before this write is in the kept parts."""
        self.bound_byte, self.marking = None, True
        for part in self.parts:
            self._mark(part)

    def _mark(self, data: bytes) -> None:
        if self.recount:
            return
        if self.quoted is not None:
            data = self.quoted.outside(data)
        # a mark may straddle two writes: one that begins in the tail ends within the next `_tail_length`
        # bytes, and no mark is short enough to lie wholly within those
        edge = self._tail + data[:self._tail_length]
        self.marked += sum(data.count(mark) + edge.count(mark) for mark in self.marks)
        self._tail = (self._tail + data[-self._tail_length:])[-self._tail_length:] if self._tail_length else b""
        over = self.marked - self.header_marks > self.max_rows
        if self.media_type == _JSON and self.quoted is None and (over or b"{}" in edge or b"{}" in data):
            self.recount = True
        elif over:
            raise TooManyRows()

    def _recount(self) -> None:
        """Every byte written so far counted again outside the JSON strings, and from then on only so."""
        self.recount, self.marked, self._tail = False, 0, b""
        self.quoted, self.marks, self._tail_length = _Quoted(escapes=True), _JSON_ROWS, 1
        if self.spool is not None:
            self.spool.seek(0)  # read back in parts; the next write goes on at the end, where this leaves it
            for part in iter(lambda: self.spool.read(PART_BYTES), b""):
                self._mark(part)
        for part in self.parts:
            self._mark(part)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()


class _CountedTriples:
    """The triples of a graph answer, counted as the serialiser takes them."""

    def __init__(self, triples, max_rows: int):
        self.triples, self.max_rows, self.count = iter(triples), max_rows, 0

    def __iter__(self):
        return self

    def __next__(self):
        triple = next(self.triples)
        self.count += 1
        if self.count > self.max_rows:
            raise TooManyRows()
        return triple


def _evaluate(store, request: QueryRequest):
    return store.query(request.query, default_graphs=request.default_graphs,
                       named_graphs=request.named_graphs, base_iri=request.base_iri)


def _write(result, media_type: str, sink: _Sink, max_rows: int) -> None:
    if result.kind == "graph":
        ox.serialize(_CountedTriples(result._raw, max_rows), sink, GRAPH_FORMATS[media_type])
    else:
        result._raw.serialize(sink, RESULT_FORMATS[media_type])


def answer(store, request: QueryRequest) -> Answer | Streamed:
    """Evaluate, negotiate the format, enforce the row and byte limits, serialise. Errors become 4xx answers;
    an answer larger than `request.stream_above` bytes comes back as Streamed."""
    try:
        result = _evaluate(store, request)
    except SyntaxError as syntax:
        return error(400, f"Malformed query: {explain(request.query, str(syntax))}")
    except (ValueError, RuntimeError, TypeError) as failure:  # e.g. an unknown function
        return error(400, f"Query could not be evaluated: {failure}")
    graph = result.kind == "graph"
    offered = list(GRAPH_FORMATS if graph else RESULT_FORMATS)
    if result.kind == "boolean":
        offered = offered[:2]  # CSV and TSV have no boolean form
    accept = parse_accept_header(request.accept, MIMEAccept) if request.accept else MIMEAccept()
    media_type = negotiation.choose(offered, accept, request.format_name, graph)
    if media_type is None:
        return error(406, f"None of the requested media types can be produced; offered: {', '.join(offered)}.")
    if result.kind == "boolean":
        return Answer(200, media_type, result.serialize(media_type))
    counted = "" if graph else media_type  # a graph's triples are counted one by one, not in its bytes
    sink = _Sink(counted, request.max_rows, request.max_bytes, request.stream_above)
    try:
        _write(result, media_type, sink, request.max_rows)
    except (TooLarge, TooManyRows, NoRoomToSpool, ValueError, RuntimeError, TypeError) as refused:
        sink.close()
        return _refusal(refused, request, graph)
    if sink.kept:
        return Answer(200, media_type, b"".join(sink.parts))
    spool = sink.spool

    def write(send: Callable[[bytes], None]) -> None:
        with spool:
            spool.seek(0)
            while part := spool.read(PART_BYTES):
                send(part)
    return Streamed(media_type, write)


def _refusal(refused: Exception, request: QueryRequest, graph: bool) -> Answer:
    if isinstance(refused, TooLarge):
        return error(422, f"The answer is larger than {request.max_bytes} bytes, this endpoint's limit "
                          "(ALLIANCE_KG_MAX_RESULT_BYTES): add LIMIT (and OFFSET to page through it), or select "
                          "fewer or shorter values.")
    if isinstance(refused, NoRoomToSpool):
        return error(503, f"The answer is larger than {STREAM_ABOVE} bytes and could not be set aside to be sent "
                          f"in parts ({refused}); try again later, or narrow the query.")
    if isinstance(refused, TooManyRows):
        unit = "triples" if graph else "rows"
        return error(422, f"The answer has more than {request.max_rows} {unit}, this endpoint's limit: "
                          f"add LIMIT (and OFFSET to page through it) or narrow the query.")
    return error(400, f"Query could not be evaluated: {refused}")
