"""Fixtures of the TUI tests (helpers live in :mod:`tests.tui.helpers`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ircli.services.workspace import Workspace
from ircli.tui.app import IrcliApp
from tests.tui.helpers import make_app

# The TUI journey uses the real servers of the CLI journey: medallion and scim2-server.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "intel"))

from intel_world import medallion

from tests.actions.conftest import scim_process

__all__ = ["medallion", "scim_process"]


@pytest.fixture
def app_for(ws: Workspace) -> Callable[..., IrcliApp]:
    """``app_for(incident=..., live=...)`` → the app on the test's store."""
    return lambda **kwargs: make_app(ws, **kwargs)


@pytest.fixture(scope="session")
def world_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The archetype world as Parquet evidence files (written once per session)."""
    from tests.tui.analysed import write_world

    return write_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def analysed(ws: Workspace, world_files: dict[str, Path]) -> str:
    """An incident with the archetype world as evidence, analysed through the services."""
    from tests.tui.analysed import analysed_incident

    return analysed_incident(ws, world_files)
