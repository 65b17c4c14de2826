"""CSV: one row per event, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (or
their full-width forms, which some spreadsheets fold to ASCII) would be read as a
formula; such cells get a leading apostrophe, the convention spreadsheets show as
text. :func:`restore` undoes it for programs that read the file back.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any, ClassVar, TextIO

from ircli.core.canonical import canonical_json
from ircli.core.events import Event
from ircli.core.timeline import describe
from ircli.export import ExportSource

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
COLUMNS = ("seq", "ts", "actor", "type", "message", "payload", "prev_hash", "hash")


def neutralise(cell: str) -> str:
    """``cell`` made inert for spreadsheets (a leading apostrophe before a formula start).

    A cell that already looks neutralised gets one more apostrophe, so :func:`restore`
    gives back exactly the original text.
    """
    return "'" + cell if cell.lstrip("'").startswith(FORMULA_STARTS) else cell


def restore(cell: str) -> str:
    """The original text of a cell written by :func:`neutralise`."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def write_rows(out: TextIO, header: Sequence[str], rows: Any) -> int:
    """Write a header and rows (sequences of cells), every cell neutralised; returns rows."""
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([neutralise(_cell(value)) for value in row])
        count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return canonical_json(value)
    return str(value)


def event_row(event: Event) -> tuple[Any, ...]:
    """The CSV row of one event, in :data:`COLUMNS` order."""
    return (
        event.seq,
        event.ts,
        event.actor,
        event.type,
        describe(event),
        event.payload,
        event.prev_hash,
        event.hash,
    )


class CsvWriter:
    """One row per event with its readable line, payload and hashes."""

    name: ClassVar[str] = "csv"
    suffix: ClassVar[str] = ".csv"
    description: ClassVar[str] = "one row per event, formula-injection safe"

    def write(self, source: ExportSource, out: TextIO) -> int:
        """Write the header row and one row per event."""
        return write_rows(out, COLUMNS, (event_row(e) for e in source.events()))
