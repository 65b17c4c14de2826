"""Fixtures for Forum intelligence (the helpers live in ``intel_world``)."""

from intel_world import medallion, secrets_env

__all__ = ["medallion", "secrets_env"]
