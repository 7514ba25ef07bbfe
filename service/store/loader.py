"""Ontology and data files into named graphs: all of them, or nothing with a clear error."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from service import iris

FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
NOT_IN_STORE = {"shapes.ttl"}  # SHACL shapes are rules for the data, not statements about the world


class LoadError(Exception):
    """A file that cannot be read, with where and what."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column, self.message = path, line, column, message
        where = f"{path}:{line}:{column}" if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    graph: str


def source_files(ontology_dir: Path, data_dir: Path) -> list[SourceFile]:
    """The files the graph is made of, each with the named graph it goes into."""
    for folder in (ontology_dir, data_dir):
        if not folder.is_dir():
            raise LoadError(folder, "folder not found")
    files = [SourceFile(p, iris.ontology_graph(p.stem)) for p in sorted(ontology_dir.glob("*.ttl"))
             if p.name not in NOT_IN_STORE]
    files += [SourceFile(p, iris.data_graph(p.relative_to(data_dir).with_suffix("").as_posix()))
              for p in sorted(data_dir.rglob("*")) if p.suffix in FORMATS]
    return files


def parse_file(path: Path, graph: str | None = None) -> list[ox.Quad]:
    """Every quad of one file, or a LoadError naming its line and column."""
    fmt = FORMATS.get(path.suffix)
    if fmt is None:
        raise LoadError(path, f"unknown RDF format (known suffixes: {' '.join(sorted(FORMATS))})")
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    try:
        parsed = ox.parse(path=str(path), format=fmt, base_iri=iris.BASE, rename_blank_nodes=True)
        return [q if not isinstance(q.graph_name, ox.DefaultGraph)
                else ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]
    except (SyntaxError, OSError) as error:
        raise as_load_error(path, error) from None


def as_load_error(path: Path, error: Exception) -> LoadError:
    """A parser's SyntaxError (with its line and column) or an OSError, said of the file."""
    if isinstance(error, OSError):
        return LoadError(path, error.strerror or str(error))
    message = str(error.args[0]) if error.args else str(error)
    message = message.split(": ", 1)[1] if message.startswith("Parser error at line") else message
    return LoadError(path, message, getattr(error, "lineno", None), getattr(error, "offset", None))


def read_all(files: list[SourceFile]) -> list[ox.Quad]:
    """Parse every file before anything is stored, so a bad one leaves nothing half-loaded."""
    quads: list[ox.Quad] = []
    for source in files:
        quads.extend(parse_file(source.path, source.graph))
    return quads
