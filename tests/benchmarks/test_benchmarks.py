"""The benchmark suite, in a smoke run at 10k triples (the full run is `python -m benchmarks.run`, not CI)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from benchmarks import run
from benchmarks.generate import generate
from benchmarks.reads import RESULTS, contents, in_memory, in_memory_answer
from service.graph import knowledge_graph
from service.config import PROJECT_ROOT, load_config

QC_QUERIES = sorted((PROJECT_ROOT / "queries").glob("qc-*.rq"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_generator_is_deterministic_from_its_seed(tmp_path):
    one = generate(5_000, 7, tmp_path / "one", with_shipped=False)
    two = generate(5_000, 7, tmp_path / "two", with_shipped=False)
    generate(5_000, 8, tmp_path / "other", with_shipped=False)
    assert one == two and 5_000 <= one < 5_200
    assert digest(tmp_path / "one" / "synthetic.nt") == digest(tmp_path / "two" / "synthetic.nt")
    assert digest(tmp_path / "one" / "synthetic.nt") != digest(tmp_path / "other" / "synthetic.nt")


def test_the_synthetic_graph_follows_the_ontology(tmp_path):
    """Every quality check holds on the generated data, and the reasoner finds alliances and members in it."""
    generate(10_000, 2025, tmp_path / "data")
    store, report = knowledge_graph.build(load_config({"DATA_DIR": tmp_path / "data"}))
    for path in QC_QUERIES:
        assert list(store.query(path.read_text()).rows()) == [], path.stem
    alliances = next(store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?p a <https://w3id.org/alliance-kg/ontology#Alliance> "
        "FILTER(CONTAINS(STR(?p), '/syn-')) }").rows())["n"].value
    assert int(alliances) > 50
    assert report.entailed_triples > 3_000


def test_a_smoke_run_times_every_engine_side_by_side(tmp_path):
    settings = run.Settings(engines=("oxigraph", "rdflib", "service"), repeat=2, budget=0.2, cap=3.0,
                            throughput_seconds=0.3, clients=(1, 4), workdir=tmp_path, seed=2025, owlrl=False,
                            only="in-force-on-date|dyads-sharing-an-alliance|diffusion-reach|heavy-construct")
    lines = []
    result = run.bench_size("10k", settings, out=lines.append)
    engines = result["engines"]
    assert set(engines) == {"oxigraph", "rdflib", "service"}
    assert engines["oxigraph"]["entailment_seconds"] > 0 and engines["service"]["rss_mb"] > 10
    for name in ("oxigraph", "service"):
        timings = engines[name]["queries"]
        assert len(timings) == 5
        assert all(t["error"] is None and t["p50"] > 0 for t in timings.values()), timings
        assert engines[name]["throughput"][1] > 0
    table = run.markdown(result, settings.cap)
    assert "| in-force-on-date |" in table and "q/s at 4" in table


def test_the_in_memory_engine_serialises_every_kind_of_answer():
    """`benchmarks.reads` times pyoxigraph answering and serialising, as an endpoint sends it: a boolean, a
    table (SPARQL JSON) and a graph (Turtle) alike. (An ASK once failed there, passing the format as the
    output file.)"""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("https://example.org/a"), ox.NamedNode("https://example.org/p"),
                      ox.Literal("b"), ox.NamedNode("https://example.org/g")))
    ask = store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.JSON)
    assert json.loads(ask)["boolean"] is True
    assert in_memory(store, "ASK { ?s ?p ?o }") == len(ask)
    table = store.query("SELECT * WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    assert in_memory(store, "SELECT * WHERE { ?s ?p ?o }") == len(table.serialize(format=ox.QueryResultsFormat.JSON))
    graph = store.query("CONSTRUCT WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    assert in_memory(store, "CONSTRUCT WHERE { ?s ?p ?o }") == len(graph.serialize(format=ox.RdfFormat.TURTLE)) > 0
    for results, (_media_type, format_) in RESULTS.items():  # --results: the table in the format asked
        table = store.query("SELECT * WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
        assert in_memory(store, "SELECT * WHERE { ?s ?p ?o }", results) == len(table.serialize(format=format_))
    assert in_memory(store, "ASK { ?s ?p ?o }", "csv") == len(ask)  # CSV has no boolean: JSON, as served


def test_the_reads_benchmark_compares_what_answers_hold_not_their_bytes():
    """A served answer counts as met only if it holds what pyoxigraph's does: the same number of solutions
    whatever the format, the same distinct triples however they are written, the same boolean."""
    store = ox.Store()
    for i in range(3):
        store.add(ox.Quad(ox.NamedNode(f"https://example.org/s{i}"), ox.NamedNode("https://example.org/p"),
                          ox.Literal(f"o{i}\nover two lines"), ox.NamedNode("https://example.org/g")))
    held = {results: contents(*in_memory_answer(store, "SELECT * WHERE { ?s ?p ?o }", results)) for results in RESULTS}
    assert set(held.values()) == {"3 solutions"}, held
    two = contents(*in_memory_answer(store, "SELECT * WHERE { ?s ?p ?o } LIMIT 2"))
    assert two == "2 solutions"
    media_type, turtle = in_memory_answer(store, "CONSTRUCT WHERE { ?s ?p ?o }")
    assert media_type == "text/turtle" and contents(media_type, turtle) == "3 triples"
    graph = store.query("CONSTRUCT WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    triples = graph.serialize(format=ox.RdfFormat.N_TRIPLES)
    assert contents("application/n-triples; charset=utf-8", triples + triples) == "3 triples"  # distinct
    assert contents(*in_memory_answer(store, "ASK { ?s ?p 'o9' }", "csv")) == "boolean false"
    with pytest.raises((SyntaxError, ValueError)):
        contents("application/sparql-results+json", b"<html>not an answer</html>")


def test_the_floor_endpoint_answers_as_pyoxigraph_in_memory():
    """`benchmarks.after_long` sets the service beside a bare Flask view over pyoxigraph: a floor that
    answered otherwise (another graph, the default graph not the union, another format) would be no floor."""
    from benchmarks.floor_endpoint import create_app
    store = ox.Store()
    for i in range(3):
        store.add(ox.Quad(ox.NamedNode(f"https://example.org/s{i}"), ox.NamedNode("https://example.org/p"),
                          ox.Literal(f"o{i}"), ox.NamedNode("https://example.org/g")))
    client = create_app(store).test_client()
    assert client.get("/health").status_code == 200
    for query, held in [("SELECT * WHERE { ?s ?p ?o }", "3 solutions"), ("ASK { ?s ?p 'o2' }", "boolean true"),
                        ("CONSTRUCT WHERE { ?s ?p ?o }", "3 triples")]:
        response = client.post("/sparql", data={"query": query})
        assert response.status_code == 200, query
        assert (response.content_type, response.data) == in_memory_answer(store, query), query
        assert contents(response.content_type, response.data) == held, query
