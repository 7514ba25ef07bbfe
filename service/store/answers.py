"""A query's answer, serialised once in its final format within the row and byte limits; large ones in parts.

The answer is written by the engine straight in the format the client asked for, through a sink that
counts its bytes and its rows as they pass (rows are counted in the bytes themselves: a line of TSV, a
`<result>` of XML, an object of the JSON `bindings` array; the triples of a graph one by one). An
answer of up to `stream_above` bytes is kept and returned whole. A larger one goes on, as the engine
writes it, into a temporary file without a name (so nothing is left on disk however the process ends),
while the sink goes on counting: both limits are decided (422) before the first byte leaves, and the
answer is then read back in parts to the caller (the worker's pipe, then the HTTP response), so that no
process holds it whole. The query is evaluated once (it was evaluated again to be sent, which doubled
the time of every large answer). A result over a limit is refused, never truncated.
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


# How rows show in the bytes of each format: (the mark counted once per row, the mark whose presence makes
# the count a lower bound only, how many marks precede the rows). A JSON string escapes every '"', so '{"'
# after '[' or ',' starts a row (the bindings of a row are separated by ',"'); only an empty row, '{}',
# has no such mark, and '{}' may also be in a string. An XML text escapes every '<'. A TSV term escapes
# its line breaks; a CSV one is quoted when it holds one.
_MARKS = {
    "text/tab-separated-values": ((b"\n",), None, 1),
    "application/sparql-results+xml": ((b"<result>",), None, 0),
    "application/sparql-results+json": ((b'[{"', b',{"'), b"{}", 0),
    "text/csv": ((b"\r\n",), b'"', 1),
}
# A byte every row holds at least once, so its count is at least the rows': counted first, since one byte is
# counted several times as fast as the marks (a 3 MB JSON answer: 1 ms against 7). While it stays within the
# limit, so do the rows, and the marks are never looked for; most answers end so.
_BOUND = {
    "application/sparql-results+xml": b"<",
    "application/sparql-results+json": b"{",
    "text/csv": b"\n",
}
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_CSV_QUOTED = re.compile(rb'"(?:[^"]|"")*"')


def _exact_rows(data: bytes, media_type: str) -> int:
    """The rows of a whole answer, when its marks alone are not enough: strings taken out first."""
    if media_type == "text/csv":
        return _CSV_QUOTED.sub(b"", data).count(b"\r\n") - 1
    stripped = _JSON_STRING.sub(b"", data)
    return stripped.count(b"[{") + stripped.count(b",{")


class _Sink:
    """A file-like sink for the engine's serialiser: counts bytes and rows, refuses past the limits,
    keeps what it is given up to `keep` bytes, and past that writes it all to `spool`, a temporary file
    (with `keep` 0, it keeps nothing and only counts)."""

    def __init__(self, media_type: str, max_rows: int, max_bytes: int | None, keep: int | None):
        self.marks, self.unsure_mark, self.header_marks = _MARKS.get(media_type, ((), None, 0))
        self.media_type, self.max_rows, self.max_bytes = media_type, max_rows, max_bytes
        self.keep = keep
        self.size, self.marked, self.unsure = 0, 0, False
        # the bound counted until it passes the limit (or the answer is no longer kept whole); from then on
        # the marks, over the kept parts first
        self.bound_byte = _BOUND.get(media_type)
        self.bounded = 0
        self.marking = bool(self.marks) and self.bound_byte is None
        self.parts: list[bytes] = []
        self.spool = None
        self._tail = b""
        self._tail_length = max((len(mark) for mark in self.marks), default=1) - 1  # '{}' is shorter than '{"'

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
        elif self.keep:  # the parts kept so far go first, once
            self._spool(*self.parts, data)
            self.parts = []
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
        # a mark may straddle two writes: one that begins in the tail ends within the next `_tail_length`
        # bytes, and no mark is short enough to lie wholly within those
        edge = self._tail + data[:self._tail_length]
        self.marked += sum(data.count(mark) + edge.count(mark) for mark in self.marks)
        if self.unsure_mark is not None and not self.unsure:
            self.unsure = self.unsure_mark in data or self.unsure_mark in edge
        self._tail = (self._tail + data[-self._tail_length:])[-self._tail_length:] if self._tail_length else b""
        # a count that is a lower bound stops the answer early (a CSV count with quotes is not one)
        if not (self.unsure and self.media_type == "text/csv") and self.marked - self.header_marks > self.max_rows:
            raise TooManyRows()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.spool is not None:
            self.spool.close()

    def over_row_limit(self, body: bytes | None) -> bool | None:
        """Whether more rows than the limit were written; None when only a second count can tell (a large
        JSON answer with an empty row or a '{}' in a string, a large CSV answer with a quoted term)."""
        if not self.marking:
            return False  # the bound (or, for an answer without marks, nothing) stayed within the limit
        if not self.unsure:
            return self.marked - self.header_marks > self.max_rows
        return _exact_rows(body, self.media_type) > self.max_rows if body is not None else None


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


def _count_rows(store, request: QueryRequest) -> None:
    """A second evaluation that only counts rows, as TSV lines (raises TooManyRows past the limit)."""
    tsv = "text/tab-separated-values"
    _write(_evaluate(store, request), tsv, _Sink(tsv, request.max_rows, None, keep=0), request.max_rows)


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
        body = b"".join(sink.parts) if sink.kept else None
        over = False if graph else sink.over_row_limit(body)
        if over is None:
            _count_rows(store, request)
        elif over:
            raise TooManyRows()
    except (TooLarge, TooManyRows, NoRoomToSpool, ValueError, RuntimeError, TypeError) as refused:
        sink.close()
        return _refusal(refused, request, graph)
    if body is not None:
        return Answer(200, media_type, body)
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
