"""Evidence: the canonical log schema, sources, provenance and quarantine."""
