"""Playbooks: the format (schema, loader, sandbox), the pure step engine and CACAO interchange."""
