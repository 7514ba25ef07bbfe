"""Reads at engine speed: every query over HTTP against pyoxigraph in memory, in one run, interleaved.

    .venv/bin/python -m benchmarks.reads [--size 1M] [--baseline DIR] [--repeat 5] [--client requests]
                                         [--results csv] [--markdown FILE]

Builds the graph in this process as the server does (knowledge_graph.build: ontology, data and
entailments; with `--size` a generated graph of that many synthetic triples beside the shipped
data), starts `alliance-kg serve` (waitress, the real app) on the same data, then times every query
of queries/ and benchmarks/queries/ in rounds: in each round every query runs once in memory and
once over HTTP, so that the load of a shared machine falls on both alike (with `--baseline`, the two
served checkouts take turns going first). "In memory" is pyoxigraph
answering in this process (the engine alone: no checks of the query), the answer serialised as the
server sends it (SPARQL JSON, or `--results` CSV, TSV or XML; Turtle for a graph). The HTTP client is `http.client` on one
kept-alive connection (`--client requests` for what a requests user waits: about 0.65 ms more a
query, the client library's own). Prints the median of each and the ratio, and checks the target: HTTP within 1.2x the
in-memory time + 2 ms, with the same answer (compared in the warm-up round: the same boolean, number of
solutions or number of distinct triples; the order and the bytes may differ, as with an unordered
GROUP_CONCAT).

`--baseline DIR` serves a second checkout (say an older commit: `git archive COMMIT | tar -x -C DIR`)
side by side in the same rounds: the before/after figures of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import csv
import io
import math
import os
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import requests

from benchmarks.run import CLIENTS, HttpEngine, free_port, queries

TARGET_FACTOR, TARGET_MS = 1.2, 2.0
RESULTS = {"json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
           "csv": ("text/csv", ox.QueryResultsFormat.CSV),
           "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
           "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML)}


def in_memory(store: ox.Store, text: str, results: str = "json") -> int:
    """The size of pyoxigraph's answer in this process (the union default graph, as the service reads a
    query without FROM), serialised as an endpoint sends it (a boolean always in JSON, as CSV has none)."""
    return len(in_memory_answer(store, text, results)[1])


def in_memory_answer(store: ox.Store, text: str, results: str = "json") -> tuple[str, bytes]:
    """pyoxigraph's answer in this process: its media type and body, as `in_memory` times it."""
    result = store.query(text, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        return RESULTS["json"][0], result.serialize(format=ox.QueryResultsFormat.JSON)
    if isinstance(result, ox.QueryTriples):
        return "text/turtle", result.serialize(format=ox.RdfFormat.TURTLE)
    return RESULTS[results][0], result.serialize(format=RESULTS[results][1])


def contents(media_type: str, body: bytes) -> str:
    """What an answer holds, in terms two engines' answers can be compared by although their order and
    serialisation may differ (an unordered GROUP_CONCAT, a SAMPLE, how a Turtle writer groups a subject's
    triples): the boolean, the number of solutions, or the number of distinct triples."""
    held = holds(media_type, body, distinct=True)
    if isinstance(held, bool):
        return f"boolean {str(held).lower()}"
    graph = ox.RdfFormat.from_media_type(media_type.split(";")[0].strip()) is not None
    return counted(held, "triple" if graph else "solution")


def holds(media_type: str, body: bytes, distinct: bool = False) -> int | bool:
    """An answer read back from its bytes: an ASK's boolean, or how many solutions or triples (distinct
    ones if `distinct`) it holds, in any format the service sends (a media type with parameters too).
    CSV is counted with `csv`, as pyoxigraph will not parse it (lossy)."""
    media_type = media_type.split(";")[0].strip()
    graph_format = ox.RdfFormat.from_media_type(media_type)
    if graph_format is not None:
        triples = ox.parse(body, format=graph_format)
        return len(set(triples)) if distinct else sum(1 for _ in triples)
    if media_type == "text/csv":
        return sum(1 for _ in csv.reader(io.StringIO(body.decode(), newline=""))) - 1
    answer = ox.parse_query_results(body, format=ox.QueryResultsFormat.from_media_type(media_type))
    if isinstance(answer, ox.QueryBoolean):
        return bool(answer)
    return sum(1 for _ in answer)


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def serve(checkout: Path, data_dir: Path | None, log: Path, timeout: float, client: str) -> HttpEngine:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(checkout))
    env.pop("ALLIANCE_KG_STORE_DIR", None)
    if data_dir:
        env["ALLIANCE_KG_DATA_DIR"] = str(data_dir)
    engine = HttpEngine.local(port, [sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env, log,
                              cwd=checkout, client=client)  # `python -m` puts the working folder first on the path
    engine.start(timeout)
    return engine


def timed(run) -> float:
    """Milliseconds, or infinity for an answer that is an error (a 503 at the time limit, say)."""
    started = time.perf_counter()
    try:
        run()
    except requests.HTTPError as error:
        print(f"  {error}", file=sys.stderr)
        return math.inf
    return (time.perf_counter() - started) * 1000


def held_by(answer, text: str) -> str:
    try:
        return contents(*answer(text))
    except requests.HTTPError as error:
        return f"error {str(error).split(':')[0]}"


def build_graph(size: str | None, workdir: Path):
    """The shipped graph in memory (`size` None or "shipped"), or with a generated graph of `size` synthetic
    triples beside it (made once in `workdir`, seed 2025, and reused); the store and the data folder (None
    for the shipped one)."""
    from service.config import load_config
    from service.graph import knowledge_graph
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = None
    if size and size != "shipped":
        from benchmarks.generate import generate, parse_size
        data_dir = workdir / f"data-{size}"
        if not (data_dir / "synthetic.nt").exists():
            generate(parse_size(size), 2025, data_dir)
    store, _ = knowledge_graph.build(load_config({"DATA_DIR": data_dir} if data_dir else None))
    return store, data_dir


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", help="a generated graph of this many synthetic triples (10k, 1M, ...); "
                                       "default: the shipped graph")
    parser.add_argument("--baseline", type=Path, help="another checkout, served side by side (the 'before')")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds after a warm-up round")
    parser.add_argument("--queries", dest="only", help="only the queries whose name matches this regex")
    parser.add_argument("--client", choices=CLIENTS, default=CLIENTS[0],
                        help="the HTTP client (one kept-alive connection); requests adds about 0.65 ms of its own")
    parser.add_argument("--results", choices=RESULTS, default="json", help="the solutions' format")
    parser.add_argument("--cap", type=float, default=120, help="seconds an HTTP query may take")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/alliance-kg-reads"))
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args(argv)

    from service.config import PROJECT_ROOT

    started = time.perf_counter()
    store, data_dir = build_graph(args.size, args.workdir)
    print(f"in memory: {len(store)} quads built in {time.perf_counter() - started:.1f} s", flush=True)
    texts = queries(args.only)

    engines = {"service": serve(PROJECT_ROOT, data_dir, args.workdir / "service.log", 900, args.client)}
    try:
        if args.baseline:
            engines["baseline"] = serve(args.baseline.resolve(), data_dir, args.workdir / "baseline.log", 900,
                                       args.client)
        answers = {"memory": lambda text: in_memory_answer(store._store, text, args.results)}
        for name, engine in engines.items():
            answers[name] = lambda text, engine=engine: engine.answer(text, cap=args.cap,
                                                                      results=RESULTS[args.results][0])
        samples = {(query, engine): [] for query in texts for engine in answers}
        held = {}  # (query, engine): what the warm-up round's answer holds
        served = [name for name in answers if name != "memory"]
        for round_ in range(args.repeat + 1):  # the first round warms every engine up, untimed
            # the served engines take turns going first after the in-memory run: the first pays more
            # (about 0.3 ms on a short query), as its processes have slept longer
            order = ["memory"] + served[round_ % len(served):] + served[:round_ % len(served)]
            for query, text in texts.items():
                for engine in order:
                    if round_:
                        answer = answers[engine]
                        samples[query, engine].append(timed(lambda: answer(text)))
                    else:  # a fast answer counts only if it is the same answer
                        held[query, engine] = held_by(answers[engine], text)
            print(f"round {round_} done (load average {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
    finally:
        for engine in engines.values():
            engine.stop()

    median = {key: statistics.median(values) for key, values in samples.items()}
    header = (["query", "in memory ms"] + [f"{n} ms" for n in served] + [f"{n} ratio" for n in served]
              + ["target ms", "met", "answer"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    missed = {name: 0 for name in served}
    for query in texts:
        memory = median[query, "memory"]
        target = memory * TARGET_FACTOR + TARGET_MS
        met = {name: median[query, name] <= target and held[query, name] == held[query, "memory"] for name in served}
        for name in served:
            missed[name] += not met[name]
        differing = [f"{name}: {held[query, name]}" for name in served if held[query, name] != held[query, "memory"]]
        answer = held[query, "memory"] + (f" in memory; {'; '.join(differing)}" if differing else ", alike")
        lines.append("| " + " | ".join([query, f"{memory:.1f}"] + [f"{median[query, n]:.1f}" for n in served]
                                        + [f"{median[query, n] / memory:.2f}x" for n in served]
                                        + [f"{target:.1f}", "yes" if met["service"] else "NO", answer]) + " |")
    total = {name: sum(median[q, name] for q in texts) for name in answers}
    lines.append("| " + " | ".join(["**all queries, sum**", f"{total['memory']:.1f}"]
                                    + [f"{total[n]:.1f}" for n in served]
                                    + [f"{total[n] / total['memory']:.2f}x" for n in served] + ["", "", ""]) + " |")
    table = "\n".join(lines)
    print(table)
    for name in served:
        print(f"{name}: {len(texts) - missed[name]} of {len(texts)} queries within {TARGET_FACTOR}x + "
              f"{TARGET_MS:g} ms of pyoxigraph in memory with the same answer (median of {args.repeat}; "
              f"client {args.client})")
    if args.markdown:
        args.markdown.write_text(table + "\n")


if __name__ == "__main__":
    main()
