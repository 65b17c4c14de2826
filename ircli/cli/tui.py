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
    """Open the TUI for the current command's workspace, on ``incident`` when given."""
    from ircli.services.incidents import resolve_incident_id
    from ircli.services.journal import sibling
    from ircli.tui.actions import tui_settings

    ws = workspace()
    tui_settings(ws.config.tui)  # a bad [tui] table is one line here, not a broken screen
    if incident is not None:
        incident = resolve_incident_id(ws, incident)  # a wrong id is one line, not a screen
    if not is_terminal():
        raise UsageError(
            "the terminal UI needs a terminal (stdin and stdout are not one)",
            hint="run it in a terminal; scripts use the subcommands with --json",
        )
    from ircli.tui import run

    run(sibling(ws), incident=incident)


@click.command()
@click.option("--incident", "incident", metavar="INC", help="Open this incident's workspace.")
def tui(incident: str | None) -> None:
    """Open the terminal UI (what `ircli` alone does in a terminal)."""
    launch(incident)
