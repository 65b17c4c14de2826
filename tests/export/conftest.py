"""Fixtures of the export tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ircli.config import Config
from ircli.core.clock import FixedClock
from ircli.services.workspace import Workspace
from tests.export.fixed_incident import FORUM_KEY, build_incident


@pytest.fixture
def forum_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The Forum HMAC key, from the environment as automation would set it."""
    monkeypatch.setenv("IRCLI_SECRET_FORUM_HMAC", FORUM_KEY)
    return FORUM_KEY


@pytest.fixture
def fixed_ws(tmp_path: Path) -> Iterator[Workspace]:
    """A workspace with the fixed clock the golden files were made with."""
    clock = FixedClock(datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC))
    workspace = Workspace(tmp_path / "store.db", Config(), "alice", clock)
    yield workspace
    workspace.close()


@pytest.fixture
def incident(fixed_ws: Workspace) -> str:
    """The fixed incident's id."""
    return build_incident(fixed_ws)
