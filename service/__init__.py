"""alliance-kg: a knowledge graph of military alliances, served over SPARQL 1.1.

The house, by layers, each folder one concern; arrows point down only. `web/` (the Flask blueprints,
templates and static files) uses `graph/` (building the knowledge graph, describing a resource,
exports, guarded writes), which uses `reasoning/` (entailments, HermiT, the OWL 2 DL profile, SHACL,
`check`), which uses `store/` (the Store interface and backends, loading, query execution and its
safety walls). `datasets/` builds data/ from the raw sources. At the root: `app.py` (create_app
wires the layers), `cli.py`, `config.py` and `iris.py` (the graph's names, shared by every layer).
Nothing below `web/` imports it or the CLI; tests/test_layers.py holds the house to this.
"""
__all__ = ["create_app"]


def __getattr__(name: str):
    """`from service import create_app`, imported when asked for: the query workers' fork server imports
    this package for the store alone, and Flask would add a tenth of a second to every start."""
    if name == "create_app":
        from service.app import create_app
        return create_app
    raise AttributeError(f"module 'service' has no attribute {name!r}")
