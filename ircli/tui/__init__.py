"""The Textual front end. Importing this package imports no Textual: :func:`run` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ircli.services.workspace import Workspace


def run(workspace: Workspace | Callable[[], Workspace], *, incident: str | None = None) -> None:
    """Open the TUI (on ``incident`` when given) and return when the responder quits.

    Given a function that resolves the workspace, the first frame paints before the
    configuration is read; a bad config, ``[tui]`` table or incident id then closes the
    app and is raised here, so the command line reports it as one line on stderr.
    """
    from ircli.tui.app import IrcliApp

    app = IrcliApp(workspace, incident=incident)
    app.run()
    if app.start_error is not None:
        raise app.start_error
