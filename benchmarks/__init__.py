"""Benchmarks: synthetic graphs that follow the ontology, and one command that times every engine."""
