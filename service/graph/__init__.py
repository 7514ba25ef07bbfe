"""The knowledge graph: building it from ontology/ and data/, describing a resource, exports, guarded writes."""
