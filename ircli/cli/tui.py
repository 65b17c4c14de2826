"""``ircli tui`` (and ``ircli`` alone): open the terminal UI."""

from __future__ import annotations

import sys

import click

from ircli.cli.context import workspace
from ircli.errors import UsageError


def is_terminal() -> bool:
    """Whether both stdin and stdout are a terminal (a TUI needs both)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def launch(incident: str | None = None) -> None:
    """Open the TUI for the current command's workspace, on ``incident`` when given.

    In a terminal the app starts at once and reads the configuration after its first
    frame (errors in it still end as one line on stderr, with the same exit code).
    Elsewhere the configuration and the incident id are checked first, so their errors
    come before "needs a terminal", as always.
    """
    from ircli.cli.context import Settings

    if not is_terminal():
        from ircli.services.incidents import resolve_incident_id
        from ircli.tui.actions import tui_settings

        ws = workspace()
        tui_settings(ws.config.tui)  # a bad [tui] table is one line here, not a broken screen
        if incident is not None:
            resolve_incident_id(ws, incident)  # a wrong id is one line, not a screen
        raise UsageError(
            "the terminal UI needs a terminal (stdin and stdout are not one)",
            hint="run it in a terminal; scripts use the subcommands with --json",
        )
    from ircli.tui import run

    settings = click.get_current_context().find_object(Settings)
    run(settings.workspace if settings is not None else workspace, incident=incident)


@click.command()
@click.option("--incident", "incident", metavar="INC", help="Open this incident's workspace.")
def tui(incident: str | None) -> None:
    """Open the terminal UI (what `ircli` alone does in a terminal)."""
    launch(incident)
