"""The query workers answer from an in-memory copy of the current generation, and a write (a new
generation) is what every query after it sees, whichever worker answers it."""
from __future__ import annotations

import concurrent.futures
import json
import os
from pathlib import Path

import psutil
import pyoxigraph as ox
import pytest

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


def huge_page_mappings(pid: int) -> int:
    """How many of the process's mappings were advised to use transparent huge pages (`hg`)."""
    with open(f"/proc/{pid}/smaps") as smaps:
        return sum("hg" in line.split() for line in smaps if line.startswith("VmFlags:"))


def test_the_workers_memory_asks_for_huge_pages_and_the_servers_environment_is_as_it_was(served):
    _, executor = served
    tunables = os.environ.get("GLIBC_TUNABLES")
    assert [huge_page_mappings(worker.pid) > 0 for worker in workers_of(executor)] == [True, True]
    ProcessExecutor(executor.directory, workers=1, timeout=60).close()  # starts the fork server if it is gone
    assert os.environ.get("GLIBC_TUNABLES") == tunables
    assert huge_page_mappings(os.getpid()) == 0


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
