"""Fixtures for the analysis tests: one hand-built world, analysed once per session."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import archetypes
from world import MiniWorld


@pytest.fixture(scope="session")
def world() -> MiniWorld:
    """Every archetype, a few accounts each."""
    return archetypes.build()


@pytest.fixture(scope="session")
def result(world: MiniWorld) -> dict[str, Any]:
    """The analysis of :func:`world` (prompt text present), as its JSON dict."""
    from ircli.analysis import analyze

    req, acc, rel = world.tables()
    return analyze(req, acc, rel).to_dict()


@pytest.fixture(scope="session")
def by_account(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Account id → its record in :func:`result`."""
    return {a["account_id"]: a for a in result["accounts"]}


@pytest.fixture(scope="session")
def hashed_result(world: MiniWorld) -> dict[str, Any]:
    """The same world with prompt text withheld (hashes only)."""
    from ircli.analysis import analyze

    req, acc, rel = world.tables(drop_text=True)
    return analyze(req, acc, rel).to_dict()
