"""``--as NAME`` on the commands people type it after (``ircli approve INC STEP --as bob``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ircli.cli.context import Settings

F = TypeVar("F", bound=Callable[..., Any])


def as_option(func: F) -> F:
    """Add ``--as NAME`` to a subcommand; it means the same as the global ``--as``."""
    return click.option(
        "--as",
        "act_as_name",
        metavar="NAME",
        help="Act as this responder (same as the global --as).",
    )(func)


def act_as(actor: str | None) -> None:
    """Make ``actor`` the acting responder of this invocation (before the workspace is built)."""
    if actor:
        ctx = click.get_current_context()
        settings = ctx.find_object(Settings) or ctx.ensure_object(Settings)
        settings.actor = actor
