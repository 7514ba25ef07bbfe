"""The query workers answer from an in-memory copy of the current generation, and a write (a new
generation) is what every query after it sees, whichever worker answers it."""
from __future__ import annotations

import concurrent.futures
import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pyoxigraph as ox
import pytest

from ..conftest import PROJECT_ROOT
from service.store.execution import ProcessExecutor, QueryRequest
from service.store.on_disk import PersistentStore

P = ox.NamedNode("urn:test:p")
# slow enough (about 0.1-0.5 s over 300 quads) that concurrent queries are held by different workers
SLOW = ("SELECT ?o (COUNT(*) AS ?n) WHERE { ?s <urn:test:p> ?o . ?a ?b ?c . ?d ?e ?f . "
        "FILTER(?c != ?f) } GROUP BY ?o")


def quads(value: str, graph: str) -> list[ox.Quad]:
    return [ox.Quad(ox.NamedNode("urn:test:s"), P, ox.Literal(value), ox.NamedNode(graph))] + [
        ox.Quad(ox.NamedNode(f"urn:test:x{i}"), ox.NamedNode("urn:test:q"), ox.Literal(i), ox.NamedNode(graph))
        for i in range(300)]


@pytest.fixture()
def served(tmp_path):
    store = PersistentStore(tmp_path / "store")
    store.commit(quads("first", "urn:test:g1"), ["urn:test:empty"])
    executor = ProcessExecutor(store.directory, workers=2, timeout=60)
    executor.wait_ready()
    yield store, executor
    executor.close()
    store.close()


def values(executor: ProcessExecutor, query: str) -> list[str]:
    answer = executor.run(QueryRequest(query, accept="application/sparql-results+json"))
    assert answer.status == 200, answer.body
    return sorted(row["o"]["value"] for row in json.loads(answer.body)["results"]["bindings"])


def workers_of(executor: ProcessExecutor) -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.pid in executor.worker_pids()]


def open_generation_files(process: psutil.Process, store: PersistentStore) -> list[str]:
    return [f.path for f in process.open_files() if Path(f.path).is_relative_to(store.directory)]


def minor_faults(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[7])  # minflt, the tenth field


def test_a_replacement_worker_has_read_the_graph_before_its_first_query(tmp_path):
    """A worker's first query writes into most of the graph's pages (copies on write from the fork server);
    a replacement, forked while the service serves, does that before it takes a query. In a fresh process,
    so that the fork server is this store's (one started for another store leaves each worker its own copy)."""
    script = inspect.getsource(minor_faults) + textwrap.dedent(f"""
        import time
        import pyoxigraph as ox
        from service.store.execution import ProcessExecutor, QueryRequest, QueryTimeout
        from service.store.on_disk import PersistentStore

        store = PersistentStore({str(tmp_path / "store")!r})
        store.commit([ox.Quad(ox.NamedNode(f"urn:test:s{{i}}"), ox.NamedNode("urn:test:p"), ox.Literal(f"value {{i}}"),
                              ox.NamedNode("urn:test:g")) for i in range(100_000)], [])
        executor = ProcessExecutor(store.directory, workers=1, timeout=2)
        executor.wait_ready()

        def faults_of_the_first_query():
            deadline = time.monotonic() + 30
            while executor._idle.qsize() == 0 and time.monotonic() < deadline:  # until the worker is ready
                time.sleep(0.05)
            [worker] = executor.worker_pids()
            before = minor_faults(worker)
            scan = "SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRLEN(?o) > 3) }}"
            assert executor.run(QueryRequest(scan)).status == 200
            return minor_faults(worker) - before
        print("first worker:", faults_of_the_first_query())
        try:
            executor.run(QueryRequest("SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }}"))
        except QueryTimeout:
            print("replaced")
        print("replacement:", faults_of_the_first_query())
        executor.close()
        store.close()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    faults = dict(line.split(": ") for line in done.stdout.splitlines() if ": " in line)
    assert "replaced" in done.stdout, done.stdout
    assert int(faults["first worker"]) > 1_000, done.stdout
    assert int(faults["replacement"]) < int(faults["first worker"]) / 10, done.stdout


def test_a_worker_keeps_the_memory_a_query_freed_for_the_next_one(served):
    """glibc gives freed memory back to the kernel by default, and each query then takes its pages
    anew, zeroed (at 1M, 450-770 ms for a query that takes 250 in a worker that kept them)."""
    store, executor = served
    store.commit([ox.Quad(ox.NamedNode(f"urn:test:s{i}"), P, ox.Literal(f"value {i}"), ox.NamedNode("urn:test:g"))
                  for i in range(400)], [])
    distinct = ("SELECT (COUNT(DISTINCT ?k) AS ?n) WHERE { ?a <urn:test:p> ?x . ?b <urn:test:p> ?y "
                "BIND(CONCAT(STR(?x), STR(?y)) AS ?k) }")

    def faults_of_a_run() -> int:
        workers = workers_of(executor)
        before = [minor_faults(worker.pid) for worker in workers]
        answer = executor.run(QueryRequest(distinct, accept="application/sparql-results+json"))
        assert answer.status == 200, answer.body
        assert json.loads(answer.body)["results"]["bindings"][0]["n"]["value"] == str(400 * 400)
        return sum(minor_faults(worker.pid) for worker in workers) - sum(before)
    first, _, third = faults_of_a_run(), faults_of_a_run(), faults_of_a_run()
    assert first > 1_000, first  # its working memory, taken from the kernel
    assert third < first / 10, (first, third)


def test_every_query_after_a_write_sees_it_whichever_worker_answers(served):
    store, executor = served
    assert values(executor, SLOW) == ["first"]
    store.commit(quads("second", "urn:test:g2"), [])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: values(executor, SLOW), range(4)))
    assert answers == [["second"]] * 4


def test_the_workers_hold_the_graph_in_memory_not_the_files_on_disk(served):
    store, executor = served
    workers = workers_of(executor)
    assert len(workers) == 2
    assert [open_generation_files(w, store) for w in workers] == [[], []]
    query = "SELECT ?g WHERE { GRAPH ?g { } }"  # empty named graphs come along too
    answer = executor.run(QueryRequest(query, accept="text/tab-separated-values"))
    assert sorted(answer.body.decode().split()) == ["<urn:test:empty>", "<urn:test:g1>", "?g"]
    store.commit(quads("second", "urn:test:g2"), [])
    assert values(executor, "SELECT ?o WHERE { ?s <urn:test:p> ?o }") == ["second"]
    assert [open_generation_files(w, store) for w in workers_of(executor)] == [[], []]
