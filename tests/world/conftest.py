"""One generated `tiny` world shared by the world tests (generation takes a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_SEED = 7


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of the `tiny` world generated with seed 7."""
    from ircli.services.world import generate_world

    out = tmp_path_factory.mktemp("tiny")
    generate_world("tiny", TINY_SEED, out, force=True)
    return out


@pytest.fixture(scope="session")
def con(tiny: Path):  # type: ignore[no-untyped-def]
    """A DuckDB connection with views requests, accounts, releases, labels on `tiny`."""
    import duckdb

    c = duckdb.connect()
    for name in ("requests", "accounts", "releases", "labels"):
        c.execute(f"CREATE VIEW {name} AS SELECT * FROM '{tiny}/{name}.parquet'")
    yield c
    c.close()
