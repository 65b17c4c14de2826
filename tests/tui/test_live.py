"""The app notices journal changes written by another process, without a restart."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from textual.widgets import DataTable

from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace
from ircli.tui.timeline import TimelineView
from tests.tui.helpers import make_app, screen_text, settle

WRITER = """
import sys
from ircli.config import Config
from ircli.services.incidents import add_note, open_incident
from ircli.services.workspace import Workspace
with Workspace(sys.argv[1], Config(), "bob") as ws:
    add_note(ws, "INC-0001", "bob looked at the proxy exits")
    open_incident(ws, title="Second campaign seen by bob")
"""


async def _until(pilot, condition, timeout: float = 8.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the app did not notice the change"
        await pilot.pause(0.1)


async def test_a_note_from_another_process_appears(ws: Workspace) -> None:
    open_incident(ws, title="Hydra cluster", subjects=["acct-1"])
    app = make_app(ws, incident="INC-0001", live=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(TimelineView)
        assert view.count == 1
        subprocess.run([sys.executable, "-c", WRITER, str(ws.store_path)], check=True)
        await _until(pilot, lambda: view.count == 2)
        await settle(pilot)
        assert screen.query_one("#notes", DataTable).row_count == 1
        assert "bob looked at the proxy exits" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        board = app.screen.query_one("#incidents", DataTable)
        await _until(pilot, lambda: board.row_count == 2)
        assert "Second campaign seen by bob" in screen_text(app)
