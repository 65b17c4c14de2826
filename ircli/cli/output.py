"""Output conventions shared by every command: stdout is data, stderr is for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from ircli.core.text import inert

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    """Add ``--json``: machine-readable output on stdout."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout."
    )(func)


def emit_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout. Non-ASCII is escaped so no byte can act on a terminal."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=True, sort_keys=False, default=str))


def emit_table(rows: Iterable[Sequence[Any]], headers: Sequence[str], *, empty: str = "") -> None:
    """Write a plain-text table to stdout; every cell is made inert first."""
    from tabulate import tabulate

    cells = [[inert(cell if cell is not None else "", limit=80) for cell in row] for row in rows]
    if not cells and empty:
        info(empty)
        return
    click.echo(tabulate(cells, headers=list(headers), tablefmt="simple", disable_numparse=True))


def emit_fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """Write ``key: value`` lines to stdout, values made inert."""
    for key, value in pairs:
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        click.echo(f"{key + ':':<12} {inert(value if value is not None else '')}")


def info(message: str) -> None:
    """A message for people, on stderr."""
    click.echo(inert(message, keep_newlines=True), err=True)


def stdout_is_tty() -> bool:
    """Whether stdout is an interactive terminal (progress bars only then)."""
    return sys.stdout.isatty()
