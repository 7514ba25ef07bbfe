"""Writes end to end at a graph size, beside the raw engine: `python -m benchmarks.writes --sizes ...`.

For one graph (the shipped one, or a generated one of N synthetic triples beside it), three small writes
each repeated as a new one, in rounds so that a shared machine's load falls on every engine alike:
- raw: pyoxigraph in memory applies the update (no guard, no entailments, nothing on disk);
- guarded: the server's write (service.graph.writes.Writer on a PersistentStore): the guard at the cost
  of the change, the entailments brought up to date, the change committed as a new generation;
- unguarded: the same Writer without the guard: the whole graph copied, its entailments recomputed and
  a whole generation written.
The guard's start (its copy of the graph, its materialisation and the one full check) comes with the
first guarded write of a server; it is timed apart. Prints medians and ratios to the raw engine.
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from benchmarks.writes import AKG, ID, OBSERVATION, PARTNERSHIP, XSD
from service.config import load_config

# a different state each round: each ending is one membership, the first open one of that state
STATES = ("GRC", "TUR", "NOR", "DNK", "ITA", "ESP", "PRT", "NLD", "BEL", "LUX", "ISL", "CAN")
GRAPH = "https://w3id.org/alliance-kg/graph/data/bench"


def ending(state: str) -> str:
    return f"""PREFIX akg: <{AKG}> PREFIX xsd: <{XSD}>
INSERT {{ GRAPH <{GRAPH}> {{ ?m akg:endDate "2025-12-31"^^xsd:date }} }}
WHERE {{ {{ SELECT ?m WHERE {{ GRAPH ?g {{ ?m akg:member <{ID}state/{state}> ; akg:startDate ?start }}
        FILTER NOT EXISTS {{ GRAPH ?h {{ ?m akg:endDate ?end }} }} }} ORDER BY ?m LIMIT 1 }} }}"""


def cases(round_: int, indicator: str) -> dict[str, str]:
    """The three writes of one round, each new: its own IRIs, or the next membership to end."""
    return {"partnership (3 memberships, scope condition)": PARTNERSHIP.replace("/bench", f"/bench{round_}"),
            "indicator observation": OBSERVATION.replace("?indicator", f"<{indicator}>")
                                                .replace("/bench", f"/bench{round_}"),
            "a membership ends": ending(STATES[round_ % len(STATES)])}


def graph_config(size: str, workdir: Path) -> dict:
    if size == "shipped":
        return load_config()
    from benchmarks.generate import generate, parse_size
    data_dir = workdir / f"data-{size}"
    if not (data_dir / "synthetic.nt").exists():
        generate(parse_size(size), 2025, data_dir)
    return load_config({"DATA_DIR": data_dir})


def end_to_end(size: str, repeat: int, unguarded_repeat: int, workdir: Path, profile: bool,
               assume_checked: bool = False) -> None:
    from service.graph import knowledge_graph
    from service.graph.writes import Writer, WriteRefused, graphs_an_update_may_change
    from service.store.on_disk import PersistentStore

    workdir.mkdir(parents=True, exist_ok=True)
    config = graph_config(size, workdir)
    started = time.perf_counter()
    built, _ = knowledge_graph.build(config)
    print(f"\n## {size}: {len(built)} quads (asserted and entailed), built in {time.perf_counter() - started:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    shapes = config["ONTOLOGY_DIR"] / "shapes.ttl"
    raw = ox.Store()
    raw.extend(built.quads())
    indicator = next(built.query(f"SELECT ?i WHERE {{ ?i a <{AKG}Indicator> }} ORDER BY ?i LIMIT 1").rows())["i"].value
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        engines = ("guarded", "unguarded") if unguarded_repeat else ("guarded",)
        stores = {name: PersistentStore(Path(folder) / name, keep_seconds=0) for name in engines}
        for store in stores.values():
            store.commit(built.quads(), built.graphs())
        del built
        writers = {name: Writer(stores[name], shapes, guard=name == "guarded") for name in engines}
        guard_start, baseline = _start_guard(writers["guarded"], assume_checked)
        print(f"the guard's start (copy, materialisation, {'no full check: assumed to pass' if assume_checked else 'the one full check'}): "
              f"{guard_start:.1f} s; the graph {baseline}", flush=True)
        samples: dict[tuple[str, str], list[float]] = {}
        sizes: dict[str, tuple[int, int]] = {}
        outcomes: dict[str, str] = {}
        profiler = cProfile.Profile() if profile else None
        for round_ in range(repeat):
            for name, update in cases(round_, indicator).items():
                before = len(raw)
                took = time.perf_counter()
                raw.update(update)
                samples.setdefault((name, "raw"), []).append(time.perf_counter() - took)
                asserted = len(raw) - before
                for engine, writer in writers.items():
                    if engine == "unguarded" and round_ >= unguarded_repeat:
                        continue
                    before = len(writer.store)
                    if profiler and engine == "guarded":
                        profiler.enable()
                    took = time.perf_counter()
                    try:
                        result = writer.apply(lambda scratch, update=update: scratch.update(update),
                                              graphs_an_update_may_change(update))  # as the endpoint does
                        outcome = "committed" if result.generation else "no change"
                    except WriteRefused as refusal:
                        outcome = f"refused {refusal.status}"
                    samples.setdefault((name, engine), []).append(time.perf_counter() - took)
                    if profiler:
                        profiler.disable()
                    if engine == "guarded":
                        sizes[name] = (asserted, len(writer.store) - before)
                        outcomes[name] = outcome
            print(f"round {round_ + 1} of {repeat} done (load average {os.getloadavg()[0]:.1f})", flush=True)
        for store in stores.values():
            store.close()
        writers["guarded"].close()
    print(f"\n| graph | write | asserted | with entailments | raw engine | guarded | ratio | unguarded | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in cases(0, indicator):
        raw_s = statistics.median(samples[name, "raw"])
        guarded = statistics.median(samples[name, "guarded"])
        unguarded = statistics.median(samples[name, "unguarded"]) if unguarded_repeat else None
        asserted, stored = sizes[name]
        print(f"| {size} | {name} ({outcomes[name]}) | {asserted} | {stored} | {raw_s * 1000:.1f} ms | "
              f"{guarded:.3f} s | {guarded / raw_s:.0f}x | "
              + (f"{unguarded:.2f} s | {unguarded / raw_s:.0f}x |" if unguarded else "not run | |"), flush=True)
    print(f"medians of {repeat} (unguarded: {min(repeat, unguarded_repeat)}); load average {os.getloadavg()[0]:.1f}")
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue())


def _start_guard(writer, assume_checked: bool) -> tuple[float, str]:
    """The guard a server makes at its first guarded write, made here so the writes' figures leave it out.
    `assume_checked`: without its one full check of the whole graph (at 1M it outlasts the benchmark),
    as if it had passed: the writes are then judged at the cost of the change, as on a graph that does."""
    from service.reasoning.check import CheckReport
    from service.reasoning.consistency import ConsistencyReport
    from service.reasoning.guard import Guard
    started = time.perf_counter()
    full_check = Guard._full_check
    if assume_checked:
        Guard._full_check = lambda self: CheckReport(consistency=ConsistencyReport(True), source="assumed")
    try:
        writer._guard = Guard(writer.store.quads(), writer.store.graphs(), writer.shapes)
    finally:
        Guard._full_check = full_check
    verdict = ("is assumed to pass" if assume_checked else "passes the full check" if writer._guard.baseline_ok
               else "FAILS the full check: every guarded write checks the whole graph")
    return time.perf_counter() - started, verdict
