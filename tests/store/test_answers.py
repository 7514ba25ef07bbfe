"""An answer is counted in its own bytes: the row limit holds to the row and the byte limit to the byte in
every format, kept whole or sent in parts, with terms that look like row marks (quotes, line breaks,
'},{"', '{}', a string ending in ',{' or '[{', escaped backslashes) and with empty rows; the parts join to
the answer kept whole."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from benchmarks.reads import holds
from service.store.answers import Answer, QueryRequest, Streamed, TooManyRows, _Sink, answer
from service.store.oxigraph import GRAPH_FORMATS, RESULT_FORMATS, OxigraphStore

ROWS = 3000
TRICKY = 'x,"y"\r\nz {} },{" [{"a" <result>'  # every row mark of every format, inside a literal
# in JSON a string's closing quote makes a row mark of its end ('"a,{"'); a quote after an escaped backslash
# ends a string, after an escaped quote it does not
ENDINGS = ['end,{', 'end[{', 'back\\', 'back\\",{"a', 'quote\\"\\",{']
QUERIES = {
    "solutions": "SELECT ?s ?o ?none WHERE { ?s ?p ?o OPTIONAL { ?s <http://e/q> ?none } }",
    "empty rows": "SELECT ?none WHERE { ?s ?p ?o OPTIONAL { ?s <http://e/q> ?none } }",
    "graph": "CONSTRUCT WHERE { ?s ?p ?o }",
}
CASES = [(name, media_type) for name in QUERIES
         for media_type in (GRAPH_FORMATS if name == "graph" else RESULT_FORMATS)]


@pytest.fixture(scope="module")
def store():
    made = OxigraphStore()
    made.add_quads(ox.Quad(ox.NamedNode(f"http://e/s{i}"), ox.NamedNode("http://e/p"),
                           ox.Literal(TRICKY if i % 7 == 0 else ENDINGS[i % 5] if i % 11 == 0 else f"v{i}"))
                    for i in range(ROWS))
    return made


def run(store, query: str, media_type: str, **limits) -> tuple[int | str, bytes]:
    """(status, body), the status "parts" for an answer sent in parts (their bytes joined)."""
    result = answer(store, QueryRequest(query, accept=media_type, **limits))
    if isinstance(result, Streamed):
        parts: list[bytes] = []
        result.write(parts.append)
        assert parts and all(parts), "parts are never empty"
        return "parts", b"".join(parts)
    assert isinstance(result, Answer)
    return result.status, result.body


@pytest.mark.parametrize("name, media_type", CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_the_row_limit_holds_to_the_row_whole_or_in_parts(store, name, media_type):
    query = QUERIES[name]
    status, whole = run(store, query, media_type, max_rows=ROWS, stream_above=None)
    assert status == 200 and holds(media_type, whole) == ROWS
    assert run(store, query, media_type, max_rows=ROWS, stream_above=1000) == ("parts", whole)
    for stream_above in (None, 1000):
        status, body = run(store, query, media_type, max_rows=ROWS - 1, stream_above=stream_above)
        unit = "triples" if name == "graph" else "rows"
        assert status == 422 and f"more than {ROWS - 1} {unit}".encode() in body


@pytest.mark.parametrize("name, media_type", CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_the_byte_limit_holds_to_the_byte_whole_or_in_parts(store, name, media_type):
    query = QUERIES[name]
    _, whole = run(store, query, media_type, stream_above=None)
    for stream_above in (None, 1000):
        kept = "parts" if stream_above else 200
        assert run(store, query, media_type, max_bytes=len(whole), stream_above=stream_above) == (kept, whole)
        status, body = run(store, query, media_type, max_bytes=len(whole) - 1, stream_above=stream_above)
        assert status == 422 and f"larger than {len(whole) - 1} bytes".encode() in body


def test_a_small_answer_is_kept_whole_and_a_boolean_is_never_in_parts(store):
    assert run(store, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3", "application/sparql-results+json",
               stream_above=1000)[0] == 200
    assert run(store, "ASK { ?s ?p ?o }", "application/sparql-results+json", stream_above=1) == \
        (200, b'{"head":{},"boolean":true}')


@pytest.mark.parametrize("media_type", list(RESULT_FORMATS))
@pytest.mark.parametrize("piece", [1, 2, 3, 7, 8192])
def test_rows_are_counted_alike_whatever_the_size_of_the_engines_writes(store, media_type, piece):
    """A row mark split between two writes still counts once, so does an escape or a quote; the cheap bound,
    the marks and the count taken again outside the strings agree."""
    for query in (QUERIES["solutions"], QUERIES["empty rows"]):
        whole = store.query(query).serialize(media_type)
        for max_rows, over in ((ROWS, False), (ROWS - 1, True)):
            for keep in (None, len(whole) // 2):
                sink = _Sink(media_type, max_rows, None, keep)
                try:
                    for start in range(0, len(whole), piece):
                        sink.write(whole[start:start + piece])
                    decided = False
                except TooManyRows:
                    decided = True
                finally:
                    sink.close()
                assert decided == over, (query, max_rows, keep)


def test_a_large_answer_is_evaluated_once_and_its_temporary_file_has_no_name(store, tmp_path, monkeypatch):
    """Sent in parts, the answer comes from the file the engine wrote it to, not from a second evaluation
    (which doubled the time of every large answer), in every format, with strings and quoted terms that
    look like row marks (counted again from that file, not by evaluating again); the file is never in the
    temporary folder."""
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    evaluations = []
    evaluate = store.query
    monkeypatch.setattr(store, "query", lambda *a, **k: (evaluations.append(a), evaluate(*a, **k))[1])
    query = QUERIES["solutions"]
    for media_type in RESULT_FORMATS:
        evaluations.clear()
        result = answer(store, QueryRequest(query, accept=media_type, stream_above=1000))
        assert isinstance(result, Streamed) and list(tmp_path.iterdir()) == []
        parts: list[bytes] = []
        result.write(parts.append)
        assert len(evaluations) == 1 and len(parts) > 1 and list(tmp_path.iterdir()) == [], media_type
        assert b"".join(parts) == run(store, query, media_type, stream_above=None)[1]


def test_an_answer_that_cannot_be_set_aside_gets_503_naming_why(store, monkeypatch):
    import tempfile

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    status, body = run(store, QUERIES["solutions"], "text/tab-separated-values", stream_above=1000)
    assert status == 503 and b"No space left on device" in body and b"set aside" in body
