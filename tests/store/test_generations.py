"""Old generations do not pile up (issue 14): after many writes the store folder holds the current
generation and those superseded less than `keep_seconds` ago (readers may still copy them), no other
file than CURRENT and LOCK beside them, and a current generation whose files and bytes stay bounded
(its table files are hard links shared with the one before; RocksDB compacts what the writes add)."""
from __future__ import annotations

import time

import pyoxigraph as ox

from service.store.on_disk import CURRENT, LOCK, PersistentStore, generations

G = ox.NamedNode("urn:test:graph")
P = ox.NamedNode("urn:test:value")


def quad(key: str, value: int) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"urn:test:{key}"), P, ox.Literal(str(value)), G)


def unique_bytes(folder) -> int:
    """Bytes on disk, a file hard-linked into several generations counted once."""
    seen: dict[int, int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            status = path.stat()
            seen[status.st_ino] = status.st_size
    return sum(seen.values())


def test_many_writes_leave_one_generation_and_no_orphan_file(tmp_path):
    folder = tmp_path / "store"
    store = PersistentStore(folder, keep_seconds=0)
    store.commit([quad(f"s{i}", i) for i in range(20_000)], [G.value])
    store.commit_change([quad("w0", 0)], [quad("s0", 0)])
    first_bytes = unique_bytes(folder)
    for n in range(1, 61):
        if n % 15 == 0:  # now and then a whole generation, as an unguarded write makes one
            store.commit(list(store.quads()) + [quad(f"w{n}", n)], store.graphs())
            store.commit_change([], [quad(f"s{n}", n)])
        else:  # as a guarded write commits: the change alone, the rest hard links
            store.commit_change([quad(f"w{n}", n)], [quad(f"s{n}", n)])
        present = generations(folder)
        assert present[-1] == store.generation and len(present) <= 2, present
        assert {p.name for p in folder.iterdir()} - set(present) == {CURRENT, LOCK}
    assert len(store) == 20_000
    assert {q.subject.value for q in store.quads()} >= {"urn:test:w60", "urn:test:s61"}
    assert "urn:test:s60" not in {q.subject.value for q in store.quads()}
    current = folder / store.generation
    files = [p.name for p in current.iterdir()]
    assert len(files) <= 40, sorted(files)  # about 28 after the first write
    assert len([f for f in files if f.startswith("LOG")]) == 1, "RocksDB's logs are not carried over"
    assert len([f for f in files if f.startswith("MANIFEST")]) == 1
    assert unique_bytes(folder) < 1.2 * first_bytes, (unique_bytes(folder), first_bytes)
    store.close()


def test_generations_readers_may_hold_go_after_keep_seconds_and_at_the_next_start(tmp_path):
    folder = tmp_path / "store"
    store = PersistentStore(folder, keep_seconds=1.0)
    store.commit([quad("a", 0)], [G.value])
    for n in range(1, 6):
        store.commit_change([quad(f"b{n}", n)], [])
    assert len(generations(folder)) == 6, "superseded less than keep_seconds ago: a reader may be copying them"
    before = store.generation
    time.sleep(1.2)
    store.commit_change([quad("c", 0)], [])
    assert generations(folder) == [before, store.generation], "only the one superseded just now is kept"
    store.close()
    reopened = PersistentStore(folder)
    assert generations(folder) == [reopened.generation], "a start removes every superseded generation"
    assert len(reopened) == 7
    reopened.close()
