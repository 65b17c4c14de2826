"""Domain types, the incident journal and its projections (stdlib + pydantic only)."""
