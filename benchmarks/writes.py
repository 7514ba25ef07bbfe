"""Guarded writes and `alliance-kg check` on the shipped graph, side by side, with ratios.

    python -m benchmarks.writes [--repeat 5] [--skip-check] [--baseline /work/main]

Prints, for the whole check (and, with --baseline, `alliance-kg check` of another checkout run the
same way in a subprocess, with the ratio) (service.reasoning.check.run_check) each stage's time and the process's CPU
time; then, for three small writes (a sourced partnership with memberships and a scope condition; an
indicator observation; a membership's end), the incremental guard's phases (apply, entailments, check)
and the full guard (check_store over the whole candidate graph, as every write ran before), each
repeated and given as the median, with the ratio full / incremental. Each write is applied, checked and
taken back, so every repetition starts from the shipped graph. The commit (a new store generation) is
not part of either: it is timed apart, once.

    python -m benchmarks.writes --sizes shipped,100k,1M [--repeat 5] [--unguarded-repeat 3] [--profile]
                                [--assume-checked]

Writes end to end, side by side in one run (`--sizes`: the shipped graph, or a generated one of that
many synthetic triples beside it, as benchmarks/reads.py makes it): the same three small writes, each
repetition a new one (a new partnership, a new observation, the next open membership ending), by the
raw engine (pyoxigraph in memory applying the update, no guard, nothing on disk), by a guarded Writer
on a PersistentStore (the server's write: guard, entailments, commit of the change as a new generation)
and by an unguarded one (the whole graph copied, its entailments recomputed, a whole generation
written). Prints the medians and the ratios to the raw engine; `--profile` adds where the guarded
writes' time goes (cProfile, cumulative).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from rdflib import Graph

from service.config import load_config

AKG = "https://w3id.org/alliance-kg/ontology#"
ID = "https://w3id.org/alliance-kg/id/"
PROV = "http://www.w3.org/ns/prov#"
XSD = "http://www.w3.org/2001/XMLSchema#"
GRAPH = "https://w3id.org/alliance-kg/graph/data/bench"

PARTNERSHIP = f"""PREFIX akg: <{AKG}> PREFIX prov: <{PROV}> PREFIX xsd: <{XSD}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX dcterms: <http://purl.org/dc/terms/>
INSERT DATA {{ GRAPH <{GRAPH}> {{
  <{ID}source/bench> a akg:Source ; dcterms:title "A bench treaty text" ; akg:url "https://example.org/t"^^xsd:anyURI .
  <{ID}agreement/bench> a akg:Treaty ; rdfs:label "Bench treaty"@en ; akg:signedOn "2024-05-01"^^xsd:date ;
      prov:wasDerivedFrom <{ID}source/bench> .
  <{ID}scope-condition/bench> a akg:MutualDefenseClause ; rdfs:label "Bench article 4"@en ;
      akg:declaredIn <{ID}agreement/bench> ; prov:wasDerivedFrom <{ID}source/bench> .
  <{ID}partnership/bench> a akg:SecurityPartnership ; rdfs:label "Bench pact"@en ;
      akg:establishedBy <{ID}agreement/bench> ; akg:hasScopeCondition <{ID}scope-condition/bench> ;
      akg:startDate "2024-05-01"^^xsd:date ; akg:lastConfirmed "2025-01-01"^^xsd:date ;
      prov:wasDerivedFrom <{ID}source/bench> ;
      akg:hasMembership <{ID}membership/bench-fra>, <{ID}membership/bench-deu>, <{ID}membership/bench-pol> .
  <{ID}membership/bench-fra> a akg:Membership ; akg:member <{ID}state/FRA> ; akg:startDate "2024-05-01"^^xsd:date ;
      akg:lastConfirmed "2025-01-01"^^xsd:date ; prov:wasDerivedFrom <{ID}source/bench> .
  <{ID}membership/bench-deu> a akg:Membership ; akg:member <{ID}state/DEU> ; akg:startDate "2024-05-01"^^xsd:date ;
      akg:lastConfirmed "2025-01-01"^^xsd:date ; prov:wasDerivedFrom <{ID}source/bench> .
  <{ID}membership/bench-pol> a akg:Membership ; akg:member <{ID}state/POL> ; akg:startDate "2024-05-01"^^xsd:date ;
      akg:lastConfirmed "2025-01-01"^^xsd:date ; prov:wasDerivedFrom <{ID}source/bench> .
}} }}"""

OBSERVATION = f"""PREFIX akg: <{AKG}> PREFIX prov: <{PROV}> PREFIX xsd: <{XSD}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX dcterms: <http://purl.org/dc/terms/>
INSERT DATA {{ GRAPH <{GRAPH}> {{
  <{ID}source/bench-news> a akg:Source ; dcterms:title "A bench report" ; akg:url "https://example.org/n"^^xsd:anyURI .
  <{ID}observation/bench> a akg:IndicatorObservation ; akg:observesIndicator ?indicator ;
      akg:startDate "2025-03-01"^^xsd:date ; akg:concernsActor <{ID}state/FRA> ;
      rdfs:comment "A bench observation."@en ; prov:wasDerivedFrom <{ID}source/bench-news> .
}} }}"""

ENDING = f"""PREFIX akg: <{AKG}> PREFIX xsd: <{XSD}>
INSERT {{ GRAPH <{GRAPH}> {{ ?m akg:endDate "2025-12-31"^^xsd:date }} }}
WHERE {{ GRAPH ?g {{ ?m akg:member <{ID}state/GRC> ; akg:startDate ?start }}
        FILTER NOT EXISTS {{ GRAPH ?h {{ ?m akg:endDate ?end }} }} }}"""


def cpu_seconds() -> float:
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def time_baseline(checkout: str) -> float:
    """`alliance-kg check` of another checkout (its own code, the same machine): wall seconds."""
    import os
    import subprocess
    import sys
    started, cpu = time.perf_counter(), cpu_seconds()
    run = subprocess.run([sys.executable, "-m", "service.cli", "check"], cwd=checkout, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": checkout})
    wall = time.perf_counter() - started
    print(f"alliance-kg check of {checkout}: {wall:.2f} s wall, {cpu_seconds() - cpu:.2f} s CPU; "
          f"{run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-200:]}")
    return wall


def time_check() -> float:
    from service.reasoning.check import run_check
    started, cpu = time.perf_counter(), cpu_seconds()
    last = [started]

    def stage(lines):
        now = time.perf_counter()
        print(f"  {now - last[0]:6.2f} s  {lines[0][:70]}")
        last[0] = now

    report = run_check(load_config(), progress=stage)
    wall = time.perf_counter() - started
    print(f"alliance-kg check: {wall:.2f} s wall, {cpu_seconds() - cpu:.2f} s CPU "
          f"(this process and its Java children); {'PASS' if report.ok else 'FAIL'}")
    return wall


def writes(repeat: int) -> None:
    from service.graph import knowledge_graph
    from service.graph.writes import graphs_an_update_may_change
    from service.reasoning.check import check_store
    from service.reasoning.guard import ENTAILMENTS, Guard
    from service.store.on_disk import PersistentStore
    from service.store.oxigraph import OxigraphStore
    config = load_config()
    store, _ = knowledge_graph.build(config)
    shapes = Graph().parse(str(config["ONTOLOGY_DIR"] / "shapes.ttl"))
    started = time.perf_counter()
    guard = Guard(store.quads(), store.graphs(), shapes)
    print(f"guard made (copy, materialisation, the one full check): {time.perf_counter() - started:.1f} s; "
          f"baseline {'passes' if guard.baseline_ok else 'FAILS'}")
    indicator = next(store.query(f"SELECT ?i WHERE {{ ?i a <{AKG}Indicator> }} LIMIT 1").rows())["i"].value
    cases = {"partnership (3 memberships, scope condition)": PARTNERSHIP,
             "indicator observation": OBSERVATION.replace("?indicator", f"<{indicator}>"),
             "membership ends (Greece's open ones)": ENDING}
    print(f"\n{'write':46} {'triples':>8} {'apply':>7} {'reason':>7} {'check':>7} {'incr.':>7} {'full':>7} {'ratio':>6}")
    for name, update in cases.items():
        phases, fulls, size, verdict = [], [], 0, None
        for _ in range(repeat):
            t0 = time.perf_counter()
            _outcome, found = guard.apply(lambda s: s.update(update), graphs_an_update_may_change(update))
            t1 = time.perf_counter()
            guard.reason(found)
            t2 = time.perf_counter()
            report = guard.check(found)
            t3 = time.perf_counter()
            phases.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0))
            size, verdict = len(found.added) + len(found.removed), report.ok
            assert size, f"{name}: the write changes the graph"
            candidate = OxigraphStore()
            candidate.add_quads(q for q in guard.copy.quads() if q.graph_name != ENTAILMENTS)
            t4 = time.perf_counter()
            full = check_store(candidate, shapes)
            fulls.append(time.perf_counter() - t4)
            assert full.ok == report.ok, (name, full.as_text(), report.as_text())
            guard.take_back(found)
        apply_, reason, check, total = (statistics.median(p[i] for p in phases) for i in range(4))
        full = statistics.median(fulls)
        print(f"{name:46} {size:8} {apply_:7.3f} {reason:7.3f} {check:7.3f} {total:7.3f} {full:7.2f} "
              f"{full / total:5.0f}x  ({'passes' if verdict else 'refused'}, full check agrees)")
    with tempfile.TemporaryDirectory() as folder:
        persistent = PersistentStore(folder)
        started = time.perf_counter()
        persistent.commit(guard.copy.quads(), guard.copy.graphs())
        print(f"\ncommit of a whole generation (not in the figures above): {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        _outcome, found = guard.apply(lambda s: s.update(cases["indicator observation"]),
                                      graphs_an_update_may_change(cases["indicator observation"]))
        guard.reason(found)
        from service.reasoning.incremental import entailment_quads
        persistent.commit_change(found.added | set(entailment_quads(found.entailed_added)),
                                 found.removed | set(entailment_quads(found.entailed_removed)),
                                 found.graphs_added, found.graphs_removed)
        print(f"commit of the observation as a change (PersistentStore.commit_change): "
              f"{time.perf_counter() - started:.2f} s, apply and reason included")
        guard.take_back(found)
        persistent.close()
    guard.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-check", action="store_true")
    parser.add_argument("--baseline", help="another checkout (e.g. /work/main) whose `alliance-kg check` to time too")
    parser.add_argument("--sizes", help="writes end to end on these graphs instead (shipped, 100k, 1M, ...), "
                                        "beside the raw engine")
    parser.add_argument("--unguarded-repeat", type=int, default=3, help="repetitions of the unguarded write")
    parser.add_argument("--profile", action="store_true", help="with --sizes: where the guarded writes' time goes")
    parser.add_argument("--assume-checked", action="store_true", help="with --sizes: the guard starts without its "
                                                                      "full check (at 1M it outlasts the run)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/alliance-kg-reads"),
                        help="where the generated graphs are kept (benchmarks/reads.py's folder)")
    options = parser.parse_args()
    if options.sizes:
        from benchmarks.write_sizes import end_to_end
        for size in options.sizes.split(","):
            end_to_end(size.strip(), options.repeat, options.unguarded_repeat, options.workdir, options.profile,
                       options.assume_checked)
        return
    if not options.skip_check:
        ours = time_check()
        if options.baseline:
            theirs = time_baseline(options.baseline)
            print(f"check, baseline / this: {theirs / ours:.1f}x")
    writes(options.repeat)


if __name__ == "__main__":
    main()
