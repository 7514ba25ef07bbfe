"""`kill -9` at every moment of a write, guarded and not (issue 14): after a restart the store opens and
holds the whole write or none of it (none if the server died before CURRENT moved, all of it after),
the write before it is intact, and no pointer being written or stray generation folder is left.

Each moment is reached with the test-only hook of service/store/fault_points.py: the server stops there,
says so in a file, and is killed with SIGKILL. "body" needs no hook: half the request body is sent.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from service.store import temporary
from service.store.on_disk import CURRENT, LOCK, PersistentStore, current_generation, generations

KEY = "kill-during-write-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
CLI = Path(sys.executable).with_name("alliance-kg")
ID = "https://w3id.org/alliance-kg/id/"
EARLIER_GRAPH = "https://w3id.org/alliance-kg/graph/data/earlier"
KILLED_GRAPH = "https://w3id.org/alliance-kg/graph/data/killed"
ENTAILMENTS = "https://w3id.org/alliance-kg/graph/entailments"
PREFIXES = """@prefix akg: <https://w3id.org/alliance-kg/ontology#> . @prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""
EARLIER = """id:source/earlier a akg:Source ; dcterms:title "A source written before the killed write" ;
    akg:url "https://example.org/earlier"^^xsd:anyURI ."""
# a sourced partnership with three memberships and a scope condition: SHACL and HermiT both have work
KILLED = """id:source/killed a akg:Source ; dcterms:title "A treaty text" ; akg:url "https://example.org/t"^^xsd:anyURI .
id:agreement/killed a akg:Treaty ; rdfs:label "Killed treaty"@en ; akg:signedOn "2024-05-01"^^xsd:date ;
    prov:wasDerivedFrom id:source/killed .
id:scope-condition/killed a akg:MutualDefenseClause ; rdfs:label "Killed article 4"@en ;
    akg:declaredIn id:agreement/killed ; prov:wasDerivedFrom id:source/killed .
id:partnership/killed a akg:SecurityPartnership ; rdfs:label "Killed pact"@en ;
    akg:establishedBy id:agreement/killed ; akg:hasScopeCondition id:scope-condition/killed ;
    akg:startDate "2024-05-01"^^xsd:date ; akg:lastConfirmed "2025-01-01"^^xsd:date ;
    prov:wasDerivedFrom id:source/killed ;
    akg:hasMembership id:membership/killed-fra, id:membership/killed-deu, id:membership/killed-pol .
""" + "".join(f"""id:membership/killed-{key} a akg:Membership ; akg:member id:state/{key.upper()} ;
    akg:startDate "2024-05-01"^^xsd:date ; akg:lastConfirmed "2025-01-01"^^xsd:date ;
    prov:wasDerivedFrom id:source/killed .
""" for key in ("fra", "deu", "pol"))

# the moments of a write, in order; a kill before CURRENT moves keeps none of it, from then on all of it
BEFORE_THE_POINTER = ["body", "applied", "entailments", "shacl", "hermit", "generation-begun", "change-written",
                      "generation-complete", "pointer-written"]
AFTER_THE_POINTER = ["pointer-moved", "served", "old-generation-removal"]
GUARD_ONLY = {"shacl", "hermit"}  # the unguarded write runs neither
CASES = [(moment, guarded) for guarded in (True, False) for moment in BEFORE_THE_POINTER + AFTER_THE_POINTER
         if guarded or moment not in GUARD_ONLY]
QUERY_TIMEOUT = 1  # a superseded generation is removed by the first write QUERY_TIMEOUT + 30 s after it


def triples(turtle: str) -> list[ox.Triple]:
    """`id:kind/key` is written for <ID kind/key> (a Turtle prefixed name cannot hold a slash)."""
    text = PREFIXES + re.sub(r"\bid:([\w/-]+)", lambda m: f"<{ID}{m.group(1)}>", turtle)
    return [q.triple for q in ox.parse(text, format=ox.RdfFormat.TURTLE)]


def insert(graph: str, turtle: str) -> bytes:
    lines = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples(turtle))
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{lines}\n}} }}".encode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(store: Path, key_file: Path, env: dict, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([str(CLI), "serve", "--store", str(store), "--port", str(port), "--write-key-file",
                                str(key_file), *extra], env={**os.environ, **env}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    try:
        while True:
            assert process.poll() is None, "the server stopped while starting"
            try:
                if requests.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200:
                    # a first start answers before its store is on disk; /health reads the store: once it is
                    assert requests.get(f"{url}/health", timeout=300).status_code == 200
                    return process, url
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
    except BaseException:
        end(process)
        raise


def end(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    """The server, then whatever of its process group outlived it (its query workers, its Java)."""
    if process.poll() is None:
        process.send_signal(sig)
        process.wait(timeout=60)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The shipped graph's store, built once by a server's first start and copied for each case."""
    folder = tmp_path_factory.mktemp("built")
    key_file = folder / "write.key"
    key_file.write_text(KEY + "\n")
    process, _url = start(folder / "store", key_file, {}, "--no-write-guard")
    end(process, signal.SIGTERM)
    return folder / "store", key_file


def count(store: PersistentStore, graph: str, about: str = "") -> int:
    where = f"FILTER(STRSTARTS(STR(?s), \"{about}\"))" if about else ""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} {where} }}"
    return int(next(iter(store.query(query).rows()))["n"].value)


@pytest.mark.parametrize("moment,guarded", CASES, ids=[f"{m}-{'guarded' if g else 'unguarded'}" for m, g in CASES])
def test_a_write_killed_at_any_moment_is_all_or_nothing(tmp_path, built, moment, guarded):
    base, key_file = built
    store = tmp_path / "store"
    shutil.copytree(base, store)
    pause = tmp_path / "pause"
    pause.mkdir()
    scratch = tmp_path / "tmp"  # the server's temporary folder
    scratch.mkdir()
    env = {"ALLIANCE_KG_TEST_PAUSE_AT": f"{moment}:{pause}", "TMPDIR": str(scratch)}
    extra = ([] if guarded else ["--no-write-guard"]) + ["--query-timeout", str(QUERY_TIMEOUT)]
    process, url = start(store, key_file, env, *extra)
    try:
        earlier = requests.post(f"{url}/sparql", data=insert(EARLIER_GRAPH, EARLIER), headers={
            "Content-Type": "application/sparql-update", **AUTH}, timeout=600)
        assert earlier.status_code == 200, earlier.text
        committed = time.monotonic()
        (pause / "armed").touch()
        if moment == "old-generation-removal":  # the generation before the earlier write is then removable
            time.sleep(max(0.0, committed + QUERY_TIMEOUT + 31 - time.monotonic()))
        body = insert(KILLED_GRAPH, KILLED)
        if moment == "body":
            sender = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
            sender.sendall(f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
                           f"Content-Type: application/sparql-update\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                           + body[:len(body) // 2])
            time.sleep(1.0)  # the server holds half the body and waits for the rest
        else:
            threading.Thread(target=_post_ignoring_errors, args=(url, body), daemon=True).start()
            deadline = time.monotonic() + 300
            while not (pause / "reached").exists():
                assert process.poll() is None, "the server stopped before the moment"
                assert time.monotonic() < deadline, f"the write never reached {moment}"
                time.sleep(0.05)
        assert process.poll() is None
        end(process)  # SIGKILL
    finally:
        end(process)

    reopened = PersistentStore(store)  # as the next start opens it
    try:
        written = len(triples(KILLED))
        held = count(reopened, KILLED_GRAPH)
        assert held == (written if moment in AFTER_THE_POINTER else 0), (moment, held, written)
        entailed = count(reopened, ENTAILMENTS, about=ID + "partnership/killed")
        assert (entailed > 0) == (held > 0), "the write's entailments come and go with it"
        assert count(reopened, EARLIER_GRAPH) == len(triples(EARLIER)), "the earlier write is intact"
        assert count(reopened, "https://w3id.org/alliance-kg/graph/data/states") > 100
        assert sorted(p.name for p in store.iterdir()) == sorted([CURRENT, LOCK, reopened.generation])
        assert generations(store) == [current_generation(store)]
    finally:
        reopened.close()
    # the fork server's folder, which a SIGKILL leaves, is all there is, and the next start removes it
    left = sorted(p.name for p in scratch.iterdir())
    assert len(left) == 1 and left[0].startswith(temporary.RUN_PREFIX), f"temporary files left: {left}"
    assert temporary.remove_stale(scratch, grace=0) == [scratch / left[0]] and not list(scratch.iterdir())


def _post_ignoring_errors(url: str, body: bytes) -> None:
    try:
        requests.post(f"{url}/sparql", data=body, timeout=600,
                      headers={"Content-Type": "application/sparql-update", **AUTH})
    except requests.RequestException:
        pass  # the server was killed under it
