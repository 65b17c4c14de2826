"""Turning journal text into things Textual shows literally.

Textual parses a ``str`` given to a DataTable cell, a Static or a notification as
markup. Everything that may carry attacker text goes through :func:`plain` (a
``rich.text.Text``, which is never parsed) after :func:`ircli.core.text.inert`
(which makes control, bidi and zero-width characters visible and harmless).
"""

from __future__ import annotations

from rich.text import Text

from ircli.core.text import inert

CELL_LIMIT = 160


def plain(value: object, *, style: str = "", limit: int | None = CELL_LIMIT) -> Text:
    """``value`` as inert, unparsed text on one line."""
    return Text(inert("" if value is None else value, limit=limit), style=style, no_wrap=True)


def plain_block(value: object, *, style: str = "") -> Text:
    """Multi-line ``value`` as inert, unparsed text (newlines kept)."""
    return Text(inert("" if value is None else value, keep_newlines=True), style=style)


def when(ts: str) -> str:
    """A journal timestamp for a table: ``2026-03-01 09:00:00`` (UTC, seconds)."""
    return ts[:19].replace("T", " ")
