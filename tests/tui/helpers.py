"""Helpers for driving the TUI headless: a deterministic app, waiting for workers, and
the screen as plain text and as the bytes a terminal would receive."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Button

from ircli.services.journal import sibling
from ircli.services.workspace import Workspace
from ircli.tui.app import IrcliApp

Button.active_effect_duration = 0  # type: ignore[misc]  # a second click must not be ignored


def make_app(ws: Workspace, **kwargs: Any) -> IrcliApp:
    """The real app on the test's store; live polling off unless asked for."""
    kwargs.setdefault("live", False)
    return IrcliApp(sibling(ws), **kwargs)


async def settle(pilot: Pilot[Any], timeout: float = 10.0) -> None:
    """Wait until every worker except the live poller has finished, then for a refresh."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await pilot.pause()
        busy = [w for w in app.workers if w.group != "live" and not w.is_finished]
        if not busy:
            break
        if loop.time() > deadline:
            raise AssertionError(f"workers still running: {busy}")
        await asyncio.sleep(0.02)
    # A blinking cursor would make screenshots depend on timing.
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def _console(app: IrcliApp) -> Console:
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console


def screen_text(app: IrcliApp) -> str:
    """What a person sees on the screen, as plain text."""
    return _console(app).export_text()


def screen_bytes(app: IrcliApp) -> str:
    """What the terminal would be sent for the screen: text with its escape sequences."""
    console = _console(app)
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()
