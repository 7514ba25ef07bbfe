"""Reasoning: the entailments, consistency by HermiT, the OWL 2 DL profile, SHACL validation, and `check`."""
