"""Bulk loading of RDF files into a persistent store: every file checked first, then streamed in.

A file is parsed twice: once to prove it well-formed (a syntax error is reported with its line and
column, and nothing at all is loaded), then again into the store in chunks, so that a file larger
than memory never has to be held whole. Blank nodes are renamed per file, so `_:b0` in two files
stays two nodes. A file of triples goes into one named graph: `--graph`, or by default
`https://w3id.org/alliance-kg/graph/data/{file stem}` beside the shipped data files.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyoxigraph as ox

from service import iris
from service.store.loader import FORMATS, LoadError, as_load_error

FORMATS = {**FORMATS, ".n3": ox.RdfFormat.N3, ".json": ox.RdfFormat.JSON_LD, ".xml": ox.RdfFormat.RDF_XML}
CHUNK = 50_000  # quads handed to the store at a time (external stores: one request each)

Progress = Callable[[int], None]  # called with the number of bytes read since the last call


@dataclass(frozen=True)
class LoadedFile:
    path: Path
    graph: str  # where its triples go (statements a TriG or N-Quads file puts in named graphs stay there)
    quads: int


class _CountingReader(io.RawIOBase):
    """A binary file that reports how far it has been read (for the progress bar)."""

    def __init__(self, path: Path, progress: Progress | None):
        self._file = path.open("rb")
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._file.readinto(buffer)
        if self._progress and n:
            self._progress(n)
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def rdf_format(path: Path) -> ox.RdfFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise LoadError(path, f"unknown RDF format (known suffixes: {' '.join(sorted(FORMATS))})")
    return fmt


def default_graph_for(path: Path) -> str:
    return iris.data_graph(path.stem)


def _quads(path: Path, graph: str | None, progress: Progress | None) -> Iterator[ox.Quad]:
    """The file's quads, a file of triples put into `graph`; a LoadError with line and column."""
    fmt = rdf_format(path)
    target = ox.NamedNode(graph) if graph else None
    try:
        with _CountingReader(path, progress) as reader:
            for quad in ox.parse(reader, format=fmt, base_iri=iris.BASE, rename_blank_nodes=True):
                if target is not None and isinstance(quad.graph_name, ox.DefaultGraph):
                    quad = ox.Quad(quad.subject, quad.predicate, quad.object, target)
                yield quad
    except (SyntaxError, OSError) as error:
        raise as_load_error(path, error) from None


def check_file(path: Path, progress: Progress | None = None) -> int:
    """The number of statements in a well-formed file, or a LoadError naming the line."""
    return sum(1 for _ in _quads(path, None, progress))


def _chunks(quads: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    chunk: list[ox.Quad] = []
    for quad in quads:
        chunk.append(quad)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def check_files(paths: list[Path], graph: str | None = None, checking: Progress | None = None) -> list[LoadedFile]:
    """Every file parsed through: what will be loaded where, or a LoadError before anything is written."""
    planned = []
    for path in paths:
        rdf_format(path)
        planned.append(LoadedFile(path, graph or default_graph_for(path), check_file(path, checking)))
    return planned


def stream_file(store, path: Path, graph: str | None, progress: Progress | None = None) -> None:
    """One file into the store without holding its quads: an embedded store parses it itself (no
    Python object per quad), an external one gets it in chunks. A LoadError names line and column."""
    engine = getattr(store, "_store", store)  # the pyoxigraph Store inside an OxigraphStore
    if not isinstance(engine, ox.Store):
        for chunk in _chunks(_quads(path, graph, progress), CHUNK):
            store.add_quads(chunk)
        return
    fmt = rdf_format(path)
    # on disk, bulk_load writes sorted files straight into RocksDB; in memory, its batches cost
    # half as much memory again as the store (673 against 404 MB peak at 1M triples), load does not
    load = engine.load if getattr(store, "path", "disk") is None else engine.bulk_load
    try:  # both rename blank nodes per call and put a file's triples into to_graph
        with io.BufferedReader(_CountingReader(path, progress), 1 << 20) as reader:
            load(reader, format=fmt, base_iri=iris.BASE, to_graph=ox.NamedNode(graph) if graph else None)
    except (SyntaxError, OSError) as error:
        raise as_load_error(path, error) from None


def stream_files(store, planned: list[LoadedFile], progress: Progress | None = None) -> None:
    """Checked files (anything with a path and a graph) into the store, one at a time."""
    for planned_file in planned:
        stream_file(store, planned_file.path, planned_file.graph, progress)


def load_files(store, paths: list[Path], graph: str | None = None, progress: Progress | None = None,
               checking: Progress | None = None) -> list[LoadedFile]:
    """Check every file, then stream each into the store; a bad file raises before anything is written.

    `store` is a store of service.store.oxigraph (embedded or external) or a pyoxigraph Store. `checking` and
    `progress` get the bytes read in the checking and in the loading pass."""
    planned = check_files(paths, graph, checking)
    stream_files(store, planned, progress)
    return planned


def open_persistent(directory: Path):
    """The on-disk Oxigraph store in `directory` (created if absent), or a clear error if it is locked."""
    from service.store.oxigraph import OxigraphStore
    try:
        return OxigraphStore(path=directory)
    except OSError as error:
        raise LoadError(directory, f"cannot open the store ({error}); is a server holding it open?") from None
