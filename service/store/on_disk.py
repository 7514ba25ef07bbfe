"""Oxigraph on disk as a sequence of immutable generations, so every write is all or nothing.

    STORE_DIR/CURRENT        the name of the generation in force ("g00000003")
    STORE_DIR/g00000003/     an Oxigraph (RocksDB) store, never written after it is made current,
        ALLIANCE_KG_QUADS.nq     and beside RocksDB's files, the same quads as N-Quads (QUADS below)

A write builds the next generation in a new folder and then renames a new CURRENT into place:
a process killed at any moment leaves CURRENT naming either the old generation or the complete new
one, and the half-built folder (and a CURRENT.next never renamed) is removed at the next start. A
CURRENT that is empty, missing beside generations, or naming a generation that is not there is damage,
not a new store: the server refuses to start and names it, and deletes nothing (only generations older
than the one CURRENT names are proven superseded; a newer one is removed only when it lacks the SERVED
mark, i.e. CURRENT never named it). Because no generation is written once current, query worker
processes can open it with `Store.read_only` safely (Oxigraph calls a read-only open beside a writing
process undefined behaviour) and switch when CURRENT names another one.

The query workers answer from an in-memory copy of the generation (execution.py), which Oxigraph reads
from N-Quads ten times as fast as from its own RocksDB store (every term a dictionary look-up): so a
generation made whole (`commit`) is first written as N-Quads, its QUADS file, and RocksDB is loaded from
that file. A generation made by `commit_change` has none until the fork server that copies it at a start
writes one (`write_quads`, made complete under another name, then renamed). The file is in the
generation's folder: it is made current, and removed, with the generation. A first start loads RocksDB
from it in the background (`commit_in_background`): the workers answer from their copy of the file
meanwhile, and everything else that uses this store waits for the generation to be current.
"""
from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

import pyoxigraph as ox

from service.store.fault_points import pause_at
from service.store.oxigraph import OxigraphStore

CURRENT = "CURRENT"
NEXT = CURRENT + ".next"  # the pointer being written, renamed onto CURRENT when complete
PREFIX = "g"
LOCK = "LOCK"
OURS = "ALLIANCE_KG_"  # the files a generation holds beside RocksDB's, which it ignores
SERVED = OURS + "SERVED"  # put into a generation once CURRENT has named it: it held acknowledged writes
QUADS = OURS + "QUADS.nq"  # the generation's quads as N-Quads, its named graphs first (`# graph <IRI>` lines)
PARTIAL = ".partial"  # a QUADS file being written, renamed onto QUADS when complete
# RocksDB's bulk loader holds about 1 KB per quad until it writes its files (1.3 GB for the 1.57M quads at
# 1M in one go): in parts of this many lines a first start at 1M holds about 115 MB there (312 MB in parts
# of 250,000), while the query workers' copy is already in memory beside it; as fast (13.7 s either way)
BULK_LOAD_QUADS = 50_000


class StoreInUse(OSError):
    """Another server holds this store folder: two writers would remove each other's generations."""


class StoreDamaged(OSError):
    """CURRENT does not name a usable generation: starting would mean rebuilding over the writes kept."""


class StoreStopped(Exception):
    """The server stopped while its first generation was written (`commit_in_background`)."""


def generation_name(number: int) -> str:
    return f"{PREFIX}{number:08d}"


def generation_number(name: str) -> int | None:
    if name.startswith(PREFIX) and name[len(PREFIX):].isdigit() and len(name) == len(PREFIX) + 8:
        return int(name[len(PREFIX):])
    return None


def generations(directory: Path) -> list[str]:
    """The generation folders present, oldest first."""
    found = [path.name for path in Path(directory).iterdir() if path.is_dir() and generation_number(path.name) is not None]
    return sorted(found, key=generation_number)


def current_generation(directory: Path) -> str | None:
    """The name CURRENT holds, or None for a store never written."""
    try:
        return (Path(directory) / CURRENT).read_text().strip() or None
    except FileNotFoundError:
        return None


class PersistentStore:
    """Reads from the current generation; `commit` makes a new one from a complete set of quads."""

    def __init__(self, directory: Path, keep_seconds: float = 60.0):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_file = open(self.directory / LOCK, "a")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise StoreInUse(f"the store folder {self.directory} is in use by another alliance-kg server") from None
        self.keep_seconds = keep_seconds  # how long a superseded generation may still have readers
        self._lock = threading.RLock()  # commit takes it, then prepare again
        self._superseded: list[tuple[float, str]] = []
        try:
            self.generation = self._check_current()
            self._reader = self._open(self.generation)
        except StoreDamaged:
            self._lock_file.close()
            raise
        self._remove_unused()
        self._prepared: Path | None = None
        self._committed = threading.Event()  # cleared while commit_in_background works
        self._committed.set()
        self._commit_failure: BaseException | None = None
        self._committing: threading.Thread | None = None
        self._stopping = False

    def close(self) -> None:
        """Let another server open the folder (the lock goes with the process in any case); a commit
        still working in the background stops first."""
        self._stopping = True
        if self._committing is not None:
            self._committing.join()
        self._reader = OxigraphStore()
        self._lock_file.close()

    @property
    def is_empty(self) -> bool:
        """True for a store that has never been committed to (the first start)."""
        return self.generation is None

    def _check_current(self) -> str | None:
        """The generation CURRENT names, None for a new folder, or StoreDamaged naming what is wrong."""
        present = generations(self.directory)
        pointer = self.directory / CURRENT
        fix = (f"; nothing was deleted. Generations present: {', '.join(present) or 'none'}. Write the name of the "
               f"one to serve (normally the newest) into {pointer}, or remove the folder to rebuild from data/")
        if not pointer.exists():
            if any((self.directory / name / SERVED).exists() for name in present):
                raise StoreDamaged(f"the store folder {self.directory} has generations but no {CURRENT} file" + fix)
            for name in present:  # never served: left by a first start killed before CURRENT named it
                shutil.rmtree(self.directory / name, ignore_errors=True)
            return None
        name = current_generation(self.directory)
        if name is None:
            raise StoreDamaged(f"{pointer} is empty" + fix)
        if generation_number(name) is None:
            raise StoreDamaged(f"{pointer} holds {name[:40]!r}, not a generation name" + fix)
        if name not in present:
            raise StoreDamaged(f"{pointer} names {name}, which is not in {self.directory}" + fix)
        return name

    def _open(self, generation: str | None) -> OxigraphStore:
        if generation is None:
            return OxigraphStore()  # nothing yet: an empty in-memory stand-in
        try:
            return OxigraphStore(self.directory / generation, read_only=True)
        except OSError as error:
            raise StoreDamaged(f"the generation {generation} that {self.directory / CURRENT} names cannot be "
                               f"opened ({error}); nothing was deleted") from None

    def _remove_unused(self) -> None:
        """Generations older than the current one (superseded), and newer folders left by a write that did
        not finish (never SERVED). A newer served one is kept: CURRENT may have been set back by hand."""
        (self.directory / NEXT).unlink(missing_ok=True)  # a pointer a killed write never moved: CURRENT holds
        for partial in self.directory.glob(f"{PREFIX}*/{QUADS}{PARTIAL}"):  # a QUADS file a killed server was writing
            partial.unlink(missing_ok=True)
        current = generation_number(self.generation) if self.generation else None
        if current is None:
            return  # a new folder: nothing here is known to be superseded
        for name in generations(self.directory):
            number = generation_number(name)
            path = self.directory / name
            if number < current or (number > current and not (path / SERVED).exists()):
                shutil.rmtree(path, ignore_errors=True)

    @property
    def next_generation(self) -> str:
        """The name the next commit gives its generation."""
        return generation_name(int(self.generation[len(PREFIX):]) + 1 if self.generation else 1)

    @property
    def next_quads_file(self) -> Path:
        """The QUADS file `prepare` writes for the next generation (what a first start's fork server waits for)."""
        return self.directory / self.next_generation / QUADS

    def prepare(self, quads, graphs: Iterable[str] = ()) -> Path:
        """Begin the next generation: its folder holding its QUADS file (returned), written from `quads`
        (an iterable of quads, or an in-memory OxigraphStore, which Oxigraph dumps itself), and no RocksDB
        store yet; `commit()` finishes it. Apart from `commit` so that the first start can let go of its
        in-memory graph, and start the query workers' fork server copying the file, before RocksDB is
        written."""
        self._wait_committed()
        with self._lock:
            path = self.next_quads_file
            shutil.rmtree(path.parent, ignore_errors=True)
            path.parent.mkdir()
            if isinstance(quads, OxigraphStore):
                # newest first, as Oxigraph dumps: the workers' copy then holds every term's quads in the
                # reverse of the built store's order. The built order was tried twice and gained nothing
                # that lasts: pyoxigraph's time for some queries moves more between two stores of the same
                # data than between the orders (docs/benchmarks.md, 3 Dec, "pyoxigraph's own spread")
                write = lambda out: quads._store.dump(out, ox.RdfFormat.N_QUADS)  # noqa: E731
            else:
                write = lambda out: ox.serialize(quads, out, ox.RdfFormat.N_QUADS)  # noqa: E731
            write_quads(path, graphs, write)
            self._prepared = path.parent
            return path

    def commit(self, quads: Iterable[ox.Quad] | None = None, graphs: Iterable[str] = (), changed_graphs=None) -> str:
        """Make a new generation holding exactly these quads (and these named graphs, even if empty), or
        without `quads` the one `prepare` began. `changed_graphs` (what an external store rewrites) is
        not needed: a generation is written whole."""
        self._wait_committed()
        with self._lock:
            if quads is not None:
                self.prepare(quads, graphs)
            return self._commit_prepared()

    @property
    def committed_in_background(self) -> bool:
        """Whether `commit_in_background` was called: a first start, not a store reopened."""
        return self._committing is not None

    def commit_in_background(self, after: Callable[[], object] = lambda: None) -> None:
        """`commit()` the generation `prepare` began in a thread of its own: the first start, whose query
        workers answer from their copy of its QUADS file meanwhile, so that the server answers before
        RocksDB is written (the larger part of a start). Until that generation is current, everything
        else that reads or writes this store waits for it, and meets its failure as StoreDamaged;
        `close()` stops it between two parts, leaving a generation never made current (removed at the
        next start). `after` is waited for in that thread first (the first query worker up: the two
        would share the cores)."""
        self._committed.clear()
        self._committing = threading.Thread(target=self._commit_in_background, args=(after,), name="first-commit",
                                            daemon=True)
        self._committing.start()

    def _commit_in_background(self, after: Callable[[], object]) -> None:
        try:
            after()
            with self._lock:
                self._commit_prepared()
        except BaseException as failure:  # noqa: BLE001 -- handed to every reader and to wait_committed
            self._commit_failure = failure
        finally:
            self._committed.set()

    def wait_committed(self) -> BaseException | None:
        """Wait for a commit begun by `commit_in_background`; what made it fail, or None."""
        self._committed.wait()
        return self._commit_failure

    def _wait_committed(self) -> None:
        if (failure := self.wait_committed()) is not None:
            raise StoreDamaged(f"the store in {self.directory} could not be written at the start "
                               f"({type(failure).__name__}: {failure})") from failure

    def _commit_prepared(self) -> str:
        target, self._prepared = self._prepared, None
        if target is None or target.name != self.next_generation:
            raise ValueError("commit() without quads finishes the generation prepare() began; none was")
        store = ox.Store(str(target))
        pause_at("generation-begun")
        # from the file, in parts of BULK_LOAD_QUADS lines, each loaded by the engine without the
        # interpreter's lock (a background commit leaves the server's threads free; quads handed over as
        # Python objects hold it throughout); the whole file at once would hold every quad in the loader
        with open(target / QUADS, "rb") as lines:
            while part := b"".join(itertools.islice(lines, BULK_LOAD_QUADS)):
                if self._stopping:
                    raise StoreStopped("the server stopped before the store was written")
                store.bulk_load(input=part, format=ox.RdfFormat.N_QUADS, lenient=True)
        for graph in graph_names(target / QUADS):
            store.add_graph(ox.NamedNode(graph))
        store.flush()
        pause_at("change-written")
        del store  # closes the RocksDB instance: the generation is complete and never written again
        return self._make_current(target.name, target)

    def commit_change(self, added: Iterable[ox.Quad], removed: Iterable[ox.Quad],
                      graphs_added: Iterable[str] = (), graphs_removed: Iterable[str] = ()) -> str:
        """Make a new generation: the current one with these quads and named graphs added and removed.
        The current generation's table files are never written again, so the new one starts as hard
        links to them (RocksDB writes new files, it never changes one): a write costs its change and
        RocksDB's small files, not a copy of the graph. Made current in one step, as `commit`'s."""
        self._wait_committed()
        with self._lock:
            if self.generation is None:
                raise ValueError("commit_change needs a current generation; make the first with commit")
            name = generation_name(int(self.generation[len(PREFIX):]) + 1)
            target = self.directory / name
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            for number, file in enumerate(sorted((self.directory / self.generation).iterdir())):
                if number == 2:
                    pause_at("generation-begun")
                if file.suffix == ".sst":
                    os.link(file, target / file.name)
                elif file.is_file() and not file.name.startswith((OURS, "LOG")):
                    shutil.copy2(file, target / file.name)
            store = ox.Store(str(target))
            for graph in graphs_removed:
                store.remove_graph(ox.NamedNode(graph)) if graph else store.clear_graph(ox.DefaultGraph())
            for quad in removed:
                store.remove(quad)
            store.extend(added)
            for graph in graphs_added:
                if graph:
                    store.add_graph(ox.NamedNode(graph))
            store.flush()
            pause_at("change-written")
            del store
            return self._make_current(name, target)

    def _make_current(self, name: str, target: Path) -> str:
        """Durable on disk, then named by CURRENT in one rename; the reader switches to it."""
        _sync_files(target)
        pause_at("generation-complete")
        pointer = self.directory / NEXT
        with open(pointer, "w") as out:
            out.write(name + "\n")
            out.flush()
            os.fsync(out.fileno())
        pause_at("pointer-written")
        os.replace(pointer, self.directory / CURRENT)
        _sync_dir(self.directory)
        pause_at("pointer-moved")
        (target / SERVED).write_text(name + "\n")  # a file beside RocksDB's, which it ignores
        pause_at("served")
        previous, self.generation = self.generation, name
        self._reader = self._open(name)
        if previous:
            self._superseded.append((time.monotonic(), previous))
        self._forget_old()
        return name

    def _forget_old(self) -> None:
        now = time.monotonic()
        keep = []
        for when, name in self._superseded:
            if now - when > self.keep_seconds:
                _remove(self.directory / name)
            else:
                keep.append((when, name))
        self._superseded = keep

    # Reading: the Store interface, answered by the current generation (once the first one is written).
    def query(self, sparql, **options):
        self._wait_committed()
        return self._reader.query(sparql, **options)

    def graphs(self):
        self._wait_committed()
        return self._reader.graphs()

    def has_graph(self, graph):
        self._wait_committed()
        return self._reader.has_graph(graph)

    def quads(self, graph=None):
        self._wait_committed()
        return self._reader.quads(graph)

    def dump(self, media_type):
        self._wait_committed()
        return self._reader.dump(media_type)

    def __len__(self):
        self._wait_committed()
        return len(self._reader)


def write_quads(path: Path, graphs: Iterable[str], write: Callable) -> None:
    """A QUADS file: the named graphs (empty ones too), then whatever `write(file)` writes as N-Quads.
    Written under another name, on disk, then renamed: a file named QUADS is always complete."""
    partial = path.with_name(path.name + PARTIAL)
    with open(partial, "wb") as out:
        out.write("".join(f"# graph <{graph}>\n" for graph in graphs if graph).encode())
        write(out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


def graph_names(path: Path) -> list[str]:
    """The named graphs a QUADS file lists at its start."""
    names = []
    with open(path, "rb") as quads:
        for line in quads:
            if not line.startswith(b"# graph <"):
                break
            names.append(line[len(b"# graph <"):].rstrip().removesuffix(b">").decode())
    return names


def read_quads(path: Path):
    """A QUADS file as an in-memory store (its named graphs too). One thread only (`load`, not the
    parallel bulk loader): the fork server forks right after, and a fork must not find a lock held by
    another thread. `lenient`: the file is this module's own, checked when it was written."""
    store = ox.Store()
    store.load(path=path, format=ox.RdfFormat.N_QUADS, lenient=True)
    for graph in graph_names(path):
        store.add_graph(ox.NamedNode(graph))
    return store


def _remove(generation: Path) -> None:
    """A superseded generation, file by file (a kill midway leaves one that the next start removes)."""
    try:
        for number, file in enumerate(sorted(generation.iterdir())):
            if number == 2:
                pause_at("old-generation-removal")
            shutil.rmtree(file, ignore_errors=True) if file.is_dir() else file.unlink()
    except OSError:
        pass  # what is left is removed by the next start, as any generation older than the current one
    shutil.rmtree(generation, ignore_errors=True)


def _sync_files(path: Path) -> None:
    """On disk before CURRENT names them: a power cut must not leave CURRENT naming lost files."""
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        with open(file, "rb") as handle:
            os.fsync(handle.fileno())
    _sync_dir(path)


def _sync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
