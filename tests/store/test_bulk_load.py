"""`alliance-kg load`: every RDF format into a persistent store, streaming; a bad file refused with its
line, and nothing of it (nor of the files beside it) loaded."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from service import iris
from service.store.bulk_load import load_files, open_persistent
from service.cli import main
from service.store.loader import LoadError

EX = "https://w3id.org/alliance-kg/id/partnership/"
AKG = iris.AKG
TRIPLES = [ox.Triple(ox.NamedNode(f"{EX}test-{i}"), ox.NamedNode(AKG + "startDate"),
                     ox.Literal(f"20{i:02d}-01-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")))
           for i in range(20)]
TRIPLES.append(ox.Triple(ox.BlankNode("b0"), ox.NamedNode(AKG + "member"), ox.NamedNode(EX + "test-0")))
SUFFIXES = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
            ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML}


def write(path: Path, fmt: ox.RdfFormat) -> Path:
    if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        path.write_bytes(ox.serialize([ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in TRIPLES],
                                      format=fmt))
    else:
        path.write_bytes(ox.serialize(TRIPLES, format=fmt))
    return path


@pytest.mark.parametrize("suffix", sorted(SUFFIXES))
def test_each_format_loads_into_its_own_graph(tmp_path, suffix):
    source = write(tmp_path / f"events{suffix}", SUFFIXES[suffix])
    result = CliRunner().invoke(main, ["load", str(source), "--store", str(tmp_path / "store"), "--no-reason"])
    assert result.exit_code == 0, result.output
    store = open_persistent(tmp_path / "store")
    assert store.graphs() == [iris.data_graph("events")]
    assert len(store) == len(TRIPLES)
    answer = store.query(f"ASK {{ <{EX}test-7> <{AKG}startDate> \"2007-01-01\"^^<http://www.w3.org/2001/XMLSchema#date> }}")
    assert bool(answer)


def test_blank_nodes_of_two_files_stay_apart(tmp_path):
    one = write(tmp_path / "one.nt", ox.RdfFormat.N_TRIPLES)
    two = write(tmp_path / "two.nt", ox.RdfFormat.N_TRIPLES)
    store = open_persistent(tmp_path / "store")
    load_files(store, [one, two], graph=iris.data_graph("both"))
    members = list(store.query(f"SELECT DISTINCT ?b WHERE {{ ?b <{AKG}member> ?m }}").rows())
    assert len(members) == 2  # _:b0 of one.nt is not _:b0 of two.nt


def test_a_file_with_an_error_on_line_n_reports_line_n_and_loads_nothing(tmp_path):
    good = write(tmp_path / "good.nt", ox.RdfFormat.N_TRIPLES)
    lines = write(tmp_path / "bad.nt", ox.RdfFormat.N_TRIPLES).read_text().splitlines()
    lines[14] = f"<{EX}broken> <{AKG}startDate> \"2001-01-01 ."  # an unterminated literal on line 15
    (tmp_path / "bad.nt").write_text("\n".join(lines) + "\n")
    store_dir = tmp_path / "store"
    first = CliRunner().invoke(main, ["load", str(good), "--store", str(store_dir), "--no-reason"])
    assert first.exit_code == 0, first.output
    before = sorted(map(str, open_persistent(store_dir).dump("application/n-quads").splitlines()))

    result = CliRunner().invoke(main, ["load", str(good), str(tmp_path / "bad.nt"), "--store", str(store_dir)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'bad.nt'}:15:" in result.output
    after = sorted(map(str, open_persistent(store_dir).dump("application/n-quads").splitlines()))
    assert after == before  # neither the bad file nor the good one beside it was loaded again


def test_turtle_error_line_is_the_line_of_the_error(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix akg: <https://w3id.org/alliance-kg/ontology#> .\n\n<a> akg:p <b> .\n<c> akg:p .\n")
    good = write(tmp_path / "good.nt", ox.RdfFormat.N_TRIPLES)
    store = open_persistent(tmp_path / "store")
    with pytest.raises(LoadError) as error:
        load_files(store, [good, bad])
    assert (error.value.path, error.value.line) == (bad, 4)
    assert len(store) == 0


def test_unknown_suffix_is_refused_before_loading(tmp_path):
    good = write(tmp_path / "good.nt", ox.RdfFormat.N_TRIPLES)
    odd = tmp_path / "notes.txt"
    odd.write_text("hello\n")
    result = CliRunner().invoke(main, ["load", str(good), str(odd), "--store", str(tmp_path / "store")])
    assert result.exit_code == 1 and "unknown RDF format" in result.output
    assert not (tmp_path / "store").exists()  # refused before the store was even opened


def test_entailments_are_computed_after_loading_with_the_ontology(tmp_path):
    ontology = Path(__file__).resolve().parents[2] / "ontology" / "core.ttl"
    data = tmp_path / "scoped.ttl"
    data.write_text(f"<{EX}x> a <{AKG}SecurityPartnership> ; <{AKG}hasScopeCondition> <{EX}x-scope> .\n")
    result = CliRunner().invoke(main, ["load", str(ontology), "--store", str(tmp_path / "store"),
                                       "--graph", iris.ontology_graph("core"), "--no-reason"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["load", str(data), "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    assert "entailments:" in result.output
    assert bool(open_persistent(tmp_path / "store").query(f"ASK {{ <{EX}x> a <{AKG}Alliance> }}"))


def test_without_a_store_the_in_memory_default_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("ALLIANCE_KG_STORE_BACKEND", raising=False)
    good = write(tmp_path / "good.nt", ox.RdfFormat.N_TRIPLES)
    result = CliRunner().invoke(main, ["load", str(good)])
    assert result.exit_code == 1 and "--store" in result.output
