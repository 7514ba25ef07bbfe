"""A generation's QUADS file (on_disk.py): its quads as N-Quads beside RocksDB's files, which the query
workers' fork server copies into memory at a start instead of reading RocksDB (ten times slower). It holds
exactly the generation, is complete whenever it has its name, goes with its generation, is never copied
into the next one by a write, and neither a kill while it is written nor one during a first start leaves
anything that stops the store from opening. A first start writes RocksDB from it in the background
(`commit_in_background`) while the workers answer from their copy: whatever reads the store in the
server process waits for it, meets its failure, or stops it by closing the store."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from service.store import on_disk
from service.store.fault_points import FAIL_VARIABLE
from service.store.on_disk import (CURRENT, LOCK, PARTIAL, QUADS, SERVED, PersistentStore, StoreDamaged, StoreStopped,
                                   generations, graph_names, read_quads)

CLI = Path(sys.executable).with_name("alliance-kg")
P = ox.NamedNode("urn:test:value")
G = ox.NamedNode("urn:test:graph")
EMPTY = "urn:test:empty"


def quad(key: str, value: int, graph=G) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"urn:test:{key}"), P, ox.Literal(str(value)), graph)


def lines(store) -> set[str]:
    return {str(q) for q in store}


def test_a_whole_commit_keeps_exactly_its_generation_as_n_quads(tmp_path):
    store = PersistentStore(tmp_path / "store")
    written = [quad(f"s{i}", i) for i in range(1000)] + [quad("d", 0, ox.DefaultGraph())]
    written.append(ox.Quad(ox.NamedNode("urn:test:x"), P, ox.Literal("é \"quoted\"\n", language="fr"), G))
    store.commit(written, [G.value, EMPTY])
    folder = store.directory / store.generation
    assert graph_names(folder / QUADS) == [G.value, EMPTY]
    copy = read_quads(folder / QUADS)
    on_disk = ox.Store.read_only(str(folder))
    assert lines(copy) == lines(on_disk) == {str(q) for q in written}
    assert {g.value for g in copy.named_graphs()} == {g.value for g in on_disk.named_graphs()} == {G.value, EMPTY}
    store.close()


def test_the_file_goes_with_its_generation_and_a_write_never_copies_it(tmp_path):
    store = PersistentStore(tmp_path / "store", keep_seconds=0)
    store.commit([quad("a", 0)], [G.value])
    first = store.directory / store.generation
    assert (first / QUADS).exists()
    store.commit_change([quad("b", 1)], [])
    assert not first.exists(), "superseded, and removed with its QUADS file"
    current = store.directory / store.generation
    assert not (current / QUADS).exists(), "a write's generation has none: the old one's would be wrong"
    store.commit(list(store.quads()) + [quad("c", 2)], store.graphs())
    current = store.directory / store.generation
    assert {q.subject.value for q in read_quads(current / QUADS)} == {"urn:test:a", "urn:test:b", "urn:test:c"}
    assert sorted(p.name for p in store.directory.iterdir()) == sorted([CURRENT, LOCK, store.generation])
    assert not list(store.directory.rglob("*" + PARTIAL))
    store.close()


def test_a_file_left_half_written_is_removed_at_the_next_opening(tmp_path):
    store = PersistentStore(tmp_path / "store")
    store.commit([quad("a", 0)], [G.value])
    generation = store.generation
    store.close()
    half = tmp_path / "store" / generation / (QUADS + PARTIAL)
    half.write_text("<urn:test:a> <urn:test:value> \"0\" <urn:test:gr")
    reopened = PersistentStore(tmp_path / "store")
    assert not half.exists()
    assert reopened.generation == generation and len(reopened) == 1
    assert (tmp_path / "store" / generation / QUADS).exists()
    reopened.close()


def test_a_first_generation_never_made_current_is_removed_and_the_store_opens_as_new(tmp_path):
    store = PersistentStore(tmp_path / "store")
    store.prepare([quad("a", 0)], [G.value])  # then killed: no RocksDB store, no CURRENT
    store.close()
    assert generations(tmp_path / "store") == ["g00000001"]
    reopened = PersistentStore(tmp_path / "store")
    assert reopened.is_empty and generations(tmp_path / "store") == []
    reopened.commit([quad("b", 1)], [G.value])
    assert reopened.generation == "g00000001" and {q.subject.value for q in reopened.quads()} == {"urn:test:b"}
    assert (tmp_path / "store" / "g00000001" / SERVED).exists()
    reopened.close()


def test_a_background_commit_is_waited_for_by_every_reader_and_writer(tmp_path):
    store = PersistentStore(tmp_path / "store")
    store.prepare([quad(f"s{i}", i) for i in range(3000)], [G.value, EMPTY])
    store.commit_in_background()
    assert len(store) == 3000  # waits for the generation, then reads it
    assert store.generation == "g00000001" and (store.directory / CURRENT).read_text().strip() == "g00000001"
    assert sorted(store.graphs()) == sorted([G.value, EMPTY])
    store.commit_change([quad("added", 1)], [quad("s0", 0)])
    assert store.generation == "g00000002" and len(store) == 3000
    assert store.wait_committed() is None
    store.close()


def test_a_background_commit_that_fails_is_raised_to_whatever_reads_or_writes(tmp_path, monkeypatch):
    monkeypatch.setenv(FAIL_VARIABLE, "generation-begun")
    store = PersistentStore(tmp_path / "store")
    store.prepare([quad("a", 0)], [G.value])
    store.commit_in_background()
    assert isinstance(store.wait_committed(), OSError)
    for use in (lambda: len(store), store.graphs, lambda: store.query("ASK {}"),
                lambda: store.commit_change([quad("b", 1)], [])):
        with pytest.raises(StoreDamaged, match=r"could not be written at the start \(OSError: a failure made by a test"):
            use()
    assert not (store.directory / CURRENT).exists()
    store.close()
    monkeypatch.delenv(FAIL_VARIABLE)
    reopened = PersistentStore(tmp_path / "store")
    assert reopened.is_empty and generations(tmp_path / "store") == []
    reopened.close()


def test_closing_the_store_stops_a_background_commit_between_two_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(on_disk, "BULK_LOAD_QUADS", 2)  # a part is two lines: thousands of parts
    store = PersistentStore(tmp_path / "store")
    store.prepare([quad(f"s{i}", i) for i in range(5000)], [G.value])
    store.commit_in_background()
    started = time.monotonic()
    store.close()
    assert time.monotonic() - started < 5
    assert isinstance(store.wait_committed(), StoreStopped)
    assert not (store.directory / CURRENT).exists(), "a stopped commit never names its generation"
    reopened = PersistentStore(tmp_path / "store")
    assert reopened.is_empty and generations(tmp_path / "store") == []
    reopened.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(store: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([str(CLI), "serve", "--store", str(store), "--port", str(port)],
                               env={**os.environ, **(env or {})}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def first_answer(process: subprocess.Popen, url: str, query: str) -> dict:
    deadline = time.monotonic() + 300
    while True:
        assert process.poll() is None, "the server stopped"
        try:
            answer = requests.get(f"{url}/sparql", params={"query": query}, timeout=30,
                                  headers={"Accept": "application/sparql-results+json"})
            if answer.status_code == 200:
                return answer.json()
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "no answer"
        time.sleep(0.1)


def kill(process: subprocess.Popen) -> None:
    """The server and whatever of its session outlived it (the fork server, the query workers)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(60)


def test_a_start_writes_the_file_a_write_left_out_and_the_workers_answer_from_it(tmp_path):
    folder = tmp_path / "store"
    store = PersistentStore(folder)
    store.commit([quad(f"s{i}", i) for i in range(50)], [G.value, EMPTY])
    store.commit_change([quad("added", 1)], [quad("s0", 0)])
    generation = store.generation
    store.close()
    assert not (folder / generation / QUADS).exists()
    process, url = serve(folder)
    try:
        found = first_answer(process, url, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert found["results"]["bindings"][0]["n"]["value"] == "50"
        graphs = first_answer(process, url, "SELECT ?g WHERE { GRAPH ?g { } }")
        assert {row["g"]["value"] for row in graphs["results"]["bindings"]} == {G.value, EMPTY}
    finally:
        kill(process)
    on_disk = ox.Store.read_only(str(folder / generation))
    assert lines(read_quads(folder / generation / QUADS)) == lines(on_disk)
    assert "urn:test:added" in {q.subject.value for q in read_quads(folder / generation / QUADS)}
    assert sorted(graph_names(folder / generation / QUADS)) == sorted([G.value, EMPTY])
    assert not list(folder.rglob("*" + PARTIAL))


def test_a_first_start_answers_before_its_store_is_written_and_killed_then_leaves_one_that_starts(tmp_path):
    folder, pause = tmp_path / "store", tmp_path / "pause"
    pause.mkdir()
    (pause / "armed").touch()
    process, url = serve(folder, {"ALLIANCE_KG_TEST_PAUSE_AT": f"generation-begun:{pause}"})
    try:
        deadline = time.monotonic() + 300
        while not (pause / "reached").exists():  # the QUADS file written, RocksDB being loaded from it
            assert process.poll() is None and time.monotonic() < deadline, "the first start never reached its commit"
            time.sleep(0.05)
        assert (folder / "g00000001" / QUADS).exists() and not (folder / CURRENT).exists()
        # meanwhile the query workers answer, from their copy of the QUADS file
        found = first_answer(process, url, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH "
                                           "<https://w3id.org/alliance-kg/graph/data/states> { ?s ?p ?o } }")
        assert int(found["results"]["bindings"][0]["n"]["value"]) > 100
        assert not (folder / CURRENT).exists()
    finally:
        kill(process)
    process, url = serve(folder)
    try:
        found = first_answer(process, url, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH "
                                           "<https://w3id.org/alliance-kg/graph/data/states> { ?s ?p ?o } }")
        assert int(found["results"]["bindings"][0]["n"]["value"]) > 100, "the graph was built again"
        health = requests.get(f"{url}/health", timeout=60)  # reads the store itself: once it is written
        assert health.status_code == 200 and health.json()["quads"] > 10_000
        assert (folder / CURRENT).read_text().strip() == "g00000001"
    finally:
        kill(process)
    assert sorted(p.name for p in folder.iterdir()) == sorted([CURRENT, LOCK, "g00000001"])
    assert (folder / "g00000001" / QUADS).exists() and (folder / "g00000001" / SERVED).exists()
