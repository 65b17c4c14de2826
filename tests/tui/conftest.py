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
