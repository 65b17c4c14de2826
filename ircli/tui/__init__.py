"""The Textual front end. Importing this package imports no Textual: :func:`run` does."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ircli.services.workspace import Workspace


def run(workspace: Workspace, *, incident: str | None = None) -> None:
    """Open the TUI (on ``incident`` when given) and return when the responder quits.

    The ``[tui]`` config table is validated first, so a bad keymap is one line on
    stderr rather than a broken screen.
    """
    from ircli.tui.actions import tui_settings
    from ircli.tui.app import IrcliApp

    settings = tui_settings(workspace.config.tui)
    IrcliApp(workspace, incident=incident, settings=settings).run()
