"""A damaged CURRENT (empty, deleted, naming a missing generation, or garbage) is never read as a new store:
the server refuses to start, names the problem, and every generation with every write stays on disk."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from service.app import create_app
from service.store.on_disk import SERVED, CURRENT, PersistentStore, StoreDamaged, generations

ROOT = Path(__file__).resolve().parents[2]
NOTES = ox.NamedNode("urn:test:notes")


def note(i: int) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"urn:test:write{i}"), ox.NamedNode("urn:test:says"), ox.Literal(f"kept {i}"), NOTES)


@pytest.fixture()
def written(tmp_path):
    """A store folder after three writes, each adding one note (a generation holds every write so far)."""
    directory = tmp_path / "store"
    store = PersistentStore(directory, keep_seconds=3600)
    for i in range(1, 4):
        store.commit([note(j) for j in range(1, i + 1)])
    store.close()
    return directory


def notes_in(directory: Path, generation: str) -> set[str]:
    store = ox.Store.read_only(str(directory / generation))
    return {quad.object.value for quad in store.quads_for_pattern(None, None, None, NOTES)}


def all_kept(directory: Path):
    assert generations(directory) == ["g00000001", "g00000002", "g00000003"], "nothing was deleted"
    assert notes_in(directory, "g00000003") == {"kept 1", "kept 2", "kept 3"}, "every write is still there"


DAMAGE = {
    "empty": (lambda d: (d / CURRENT).write_text(""), "is empty"),
    "deleted": (lambda d: (d / CURRENT).unlink(), "has generations but no CURRENT file"),
    "missing generation": (lambda d: (d / CURRENT).write_text("g00000009\n"), "names g00000009, which is not in"),
    "garbage": (lambda d: (d / CURRENT).write_text("../../etc\n"), "not a generation name"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_current_is_refused_and_nothing_is_deleted(written, damage):
    harm, problem = DAMAGE[damage]
    harm(written)
    with pytest.raises(StoreDamaged) as refused:
        PersistentStore(written)
    assert problem in str(refused.value)
    assert "nothing was deleted" in str(refused.value) and "g00000003" in str(refused.value)
    all_kept(written)
    with pytest.raises(StoreDamaged):  # the factory does not fall back to building data/ over them
        create_app({"STORE_DIR": written, "QUERY_WORKERS": 1})
    all_kept(written)
    # the lock was let go with the refusal: once repaired, the store opens with every write
    (written / CURRENT).write_text("g00000003\n")
    repaired = PersistentStore(written)
    assert repaired.generation == "g00000003" and len(repaired) == 3
    assert generations(written) == ["g00000003"], "older generations are proven superseded once CURRENT is sound"
    repaired.close()


def test_the_server_refuses_with_a_message_not_a_traceback(written):
    (written / CURRENT).write_text("")
    result = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--store", str(written), "--port", "0"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode != 0
    assert "cannot start:" in result.stderr and "is empty" in result.stderr and "Traceback" not in result.stderr
    assert "Write the name of the one to serve" in result.stderr
    all_kept(written)


def test_a_generation_that_cannot_be_opened_is_refused_and_kept(written):
    (written / "g00000003" / "CURRENT").unlink()  # RocksDB's own pointer: the generation is unreadable
    (written / CURRENT).write_text("g00000003\n")
    with pytest.raises(StoreDamaged, match="g00000003 .* cannot be opened"):
        PersistentStore(written)
    assert generations(written) == ["g00000001", "g00000002", "g00000003"]


def test_a_newer_complete_generation_is_kept_an_unfinished_one_removed(written):
    (written / CURRENT).write_text("g00000002\n")  # set back by hand: g00000003 was served, not superseded
    unfinished = written / "g00000004"
    unfinished.mkdir()
    assert (written / "g00000003" / SERVED).exists()
    store = PersistentStore(written)
    assert store.generation == "g00000002" and len(store) == 2
    assert generations(written) == ["g00000002", "g00000003"]
    store.close()
