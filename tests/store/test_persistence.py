"""`alliance-kg serve --store DIR`: what was written is there after a restart, and after the server is
killed with SIGKILL in the middle of a write the store holds all of that write or none of it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from service.store.on_disk import PersistentStore, current_generation

KEY = "persistence-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON = {"Accept": "application/sparql-results+json"}
CLI = Path(sys.executable).with_name("alliance-kg")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`alliance-kg serve` in its own process, as an operator runs it."""

    def __init__(self, store: Path, key_file: Path, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(CLI), "serve", "--store", str(store), "--port", str(self.port), "--write-key-file", str(key_file),
             "--no-write-guard", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90
        try:
            while True:
                assert self.process.poll() is None, self.process.stderr.read().decode()
                try:  # a loaded machine may take more than a few seconds over the first answer
                    if requests.get(f"{self.url}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
            # a first start answers from its workers' copy before the store is on disk; /health reads it
            assert requests.get(f"{self.url}/health", timeout=90).status_code == 200
        except BaseException:  # not left running (with its query workers) when the test fails here
            self.process.kill()
            self.process.wait()
            raise
        self.ready_seconds = time.perf_counter() - started

    def count(self, graph: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        response = requests.get(f"{self.url}/sparql", params={"query": query}, headers=JSON, timeout=30)
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    def stop(self, sig=signal.SIGTERM) -> str:
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        return self.process.stderr.read().decode()


@pytest.fixture()
def key_file(tmp_path):
    path = tmp_path / "write.key"
    path.write_text(KEY + "\n")
    return path


def test_what_was_written_is_there_after_a_restart(tmp_path, key_file):
    store = tmp_path / "store"
    first = Server(store, key_file)
    nato_members = first.count("https://w3id.org/alliance-kg/graph/data/paper/partnerships")
    assert nato_members > 100, "the first start loaded data/"
    response = requests.post(f"{first.url}/sparql", data={"update": "INSERT DATA { GRAPH <urn:test:notes> "
                                                          "{ <urn:test:a> <urn:test:says> \"kept\" } }"},
                             headers=AUTH, timeout=60)
    assert response.status_code == 200, response.text
    assert requests.put(f"{first.url}/rdf-graphs/notes/2", data=b"<urn:test:b> <urn:test:says> \"also kept\" .",
                        headers={"Content-Type": "application/n-triples", **AUTH}, timeout=60).status_code == 201
    log = first.stop()
    assert "asserted" in log and "entailed" in log

    started = time.perf_counter()
    reopened = PersistentStore(store)
    reopen_seconds = time.perf_counter() - started
    assert len(reopened) > 10_000 and reopen_seconds < 1.0, reopen_seconds
    reopened.close()

    second = Server(store, key_file)
    try:
        assert second.count("urn:test:notes") == 1
        assert second.count("https://w3id.org/alliance-kg/rdf-graphs/notes/2") == 1, "named under PUBLIC_BASE"
        assert second.count("https://w3id.org/alliance-kg/graph/data/paper/partnerships") == nato_members
        entailed = second.count("https://w3id.org/alliance-kg/graph/entailments")
        assert entailed > 100, "the entailments were stored with the write"
        refused = subprocess.run([str(CLI), "serve", "--store", str(store), "--port", str(free_port())],
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "in use by another alliance-kg server" in refused.stderr
    finally:
        log = second.stop()
    assert "reopened the store" in log
    print(f"store reopened in {reopen_seconds * 1000:.0f} ms; server answering {second.ready_seconds:.2f} s "
          f"after the restart command (first start {first.ready_seconds:.2f} s)")


def big_insert(triples: int) -> str:
    lines = "\n".join(f"<urn:test:s{i}> <urn:test:p> \"value {i}\" ." for i in range(triples))
    return f"INSERT DATA {{ GRAPH <urn:test:bulk> {{\n{lines}\n}} }}"


@pytest.mark.parametrize("moment", ["while applying", "while committing"])
def test_a_write_killed_midway_is_all_or_nothing_and_the_store_opens(tmp_path, key_file, moment):
    store = tmp_path / "store"
    triples = 150_000
    server = Server(store, key_file, "--max-body-bytes", "50000000")
    generation = current_generation(store)
    body = big_insert(triples).encode()
    threading.Thread(target=lambda: _post_ignoring_errors(server.url, body), daemon=True).start()
    deadline = time.monotonic() + 60
    if moment == "while applying":
        time.sleep(0.5)  # the body has arrived and the update is running on the scratch copy
    else:  # the next generation's folder exists: the commit is writing it
        while not any(p.is_dir() and p.name > generation for p in store.iterdir()):
            assert time.monotonic() < deadline
            time.sleep(0.002)
    assert server.process.poll() is None, "the write was still in progress"
    server.stop(signal.SIGKILL)

    restarted = Server(store, key_file)
    try:
        held = restarted.count("urn:test:bulk")
        assert held in (0, triples), held
        assert restarted.count("https://w3id.org/alliance-kg/graph/data/states") > 100
        leftovers = [p.name for p in store.iterdir() if p.is_dir() and p.name != current_generation(store)]
        assert leftovers == [], "a half-written generation is removed at start"
        print(f"killed {moment}: the store holds {held} of {triples} triples")
    finally:
        restarted.stop()


def _post_ignoring_errors(url: str, body: bytes) -> None:
    try:
        requests.post(f"{url}/sparql", data=body, timeout=120,
                      headers={"Content-Type": "application/sparql-update", **AUTH})
    except requests.RequestException:
        pass  # the server was killed under it
