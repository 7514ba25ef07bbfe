"""The protocol's update dataset (using-graph-uri, using-named-graph-uri) written into the update."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from service.web.updates import DatasetConflict, with_protocol_dataset


def test_using_goes_before_the_where_of_each_operation_and_nowhere_else():
    update = ('INSERT { GRAPH <urn:out> { ?s a <urn:Seen> } } WHERE { ?s ?p "WHERE" . '
              '{ SELECT ?s WHERE { ?s ?p ?o } } } ;\n'
              'DELETE WHERE { GRAPH <urn:old> { ?s ?p ?o } } ;\n'
              'delete { ?s ?p ?o } where { ?s ?p ?o } # WHERE in a comment')
    rewritten = with_protocol_dataset(update, ["urn:g1"], ["urn:g2"])
    clause = " USING <urn:g1> USING NAMED <urn:g2> "
    assert rewritten.count(clause) == 2
    assert f"}} {clause}WHERE {{ ?s ?p \"WHERE\"" in rewritten
    assert "DELETE WHERE { GRAPH" in rewritten and f"}} {clause}where" in rewritten
    ox.Store().update(rewritten)  # still a valid update


def test_an_update_with_its_own_dataset_and_protocol_graphs_is_refused():
    for update in ["WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
                   "DELETE { ?s ?p ?o } USING <urn:g> WHERE { ?s ?p ?o }"]:
        with pytest.raises(DatasetConflict):
            with_protocol_dataset(update, [], ["urn:x"])
        assert with_protocol_dataset(update, [], []) == update


def test_the_protocol_graphs_are_what_the_where_clause_reads():
    store = ox.Store()
    store.update("INSERT DATA { GRAPH <urn:g1> { <urn:a> a <urn:Doc> } GRAPH <urn:g2> { <urn:b> a <urn:Doc> } }")
    store.update(with_protocol_dataset("INSERT { GRAPH <urn:out> { ?s a <urn:Seen> } } WHERE { ?s a <urn:Doc> }",
                                       ["urn:g1"], []))
    seen = {q.subject.value for q in store.quads_for_pattern(None, None, None, ox.NamedNode("urn:out"))}
    assert seen == {"urn:a"}
