"""Fixtures of the TUI tests (helpers live in :mod:`tests.tui.helpers`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ircli.services.workspace import Workspace
from ircli.tui.app import IrcliApp
from tests.tui.helpers import make_app


@pytest.fixture
def app_for(ws: Workspace) -> Callable[..., IrcliApp]:
    """``app_for(incident=..., live=...)`` → the app on the test's store."""
    return lambda **kwargs: make_app(ws, **kwargs)
