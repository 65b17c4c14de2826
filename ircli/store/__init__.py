"""Persistence of the journal (SQLite) and of evidence files."""

from ircli.store.sqlite import Store, default_store_path

__all__ = ["Store", "default_store_path"]
