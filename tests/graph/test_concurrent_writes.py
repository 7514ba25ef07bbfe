"""Writers at once: applied one after the other (never a lost update); one more may wait its turn, and a
third is refused at once with 503, changing nothing, instead of holding a server thread through the
others' guards (issue 17 item 9, issue 14)."""
from __future__ import annotations

import threading
import time

import pyoxigraph as ox
import pytest

from service.graph.writes import Writer, WriteRefused
from service.store.on_disk import PersistentStore

G = ox.NamedNode("urn:counter")
P = ox.NamedNode("urn:value")


@pytest.fixture()
def writer(tmp_path):
    store = PersistentStore(tmp_path / "store")
    store.commit([ox.Quad(G, P, ox.Literal("0", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), G)],
                 [G.value])
    yield Writer(store, tmp_path / "no-shapes.ttl", guard=False)
    store.close()


def value(store) -> int:
    return int(next(iter(store.query(f"SELECT ?v WHERE {{ GRAPH <{G.value}> {{ ?s <{P.value}> ?v }} }}").rows()))["v"].value)


def increment(pause: float = 0.0):
    def change(scratch):
        current = value(scratch)
        time.sleep(pause)  # a read-modify-write that takes a while, like a guarded one
        scratch.update(f"DELETE WHERE {{ GRAPH <{G.value}> {{ ?s <{P.value}> ?v }} }} ; "
                       f"INSERT DATA {{ GRAPH <{G.value}> {{ <{G.value}> <{P.value}> {current + 1} }} }}")
    return change


def test_a_writer_waits_for_the_one_before_and_a_third_is_refused_at_once(writer):
    outcomes: list = []

    def write():
        try:
            writer.apply(increment(pause=1.0))
            outcomes.append("applied")
        except WriteRefused as refusal:
            outcomes.append(refusal)

    first = threading.Thread(target=write)
    first.start()
    time.sleep(0.2)
    second = threading.Thread(target=write)
    second.start()
    time.sleep(0.2)
    started = time.perf_counter()
    with pytest.raises(WriteRefused) as third:
        writer.apply(increment())
    assert time.perf_counter() - started < 0.5, "the third writer was held instead of refused"
    assert third.value.status == 503 and "nothing was changed" in third.value.message
    first.join()
    second.join()
    assert outcomes == ["applied", "applied"]
    assert value(writer.store) == 2  # both increments, neither lost


def test_writers_in_turn_lose_no_update(writer):
    threads = [threading.Thread(target=lambda: writer.apply(increment())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(3):
        writer.apply(increment())
    assert value(writer.store) == 5
