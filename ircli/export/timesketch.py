"""Timesketch timelines (JSONL and CSV) for the lab's forensic timeline tool.

Each event carries Timesketch's three required fields — ``message``, ``datetime``
(ISO 8601 with an explicit offset) and ``timestamp_desc`` (what the time means) —
plus ``timestamp`` in microseconds and flat attributes. The payload travels as one
canonical JSON string, so no payload key can collide with Timesketch's reserved
fields (``_id``, ``_type``, ``_index``, ``_source``, ``__ts_timeline_id``).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, TextIO

from ircli.core.canonical import canonical_json
from ircli.core.clock import parse_ts
from ircli.core.events import Event
from ircli.core.timeline import describe, time_meaning
from ircli.export import ExportSource
from ircli.export.csv import write_rows

RESERVED = frozenset({"_id", "_type", "_index", "_source", "__ts_timeline_id"})
COLUMNS = (
    "message",
    "datetime",
    "timestamp_desc",
    "timestamp",
    "incident",
    "seq",
    "actor",
    "event_type",
    "tag",
    "payload",
    "hash",
)


def timesketch_record(event: Event) -> dict[str, Any]:
    """One event as a Timesketch record (the keys of :data:`COLUMNS`)."""
    moment = parse_ts(event.ts)
    return {
        "message": describe(event),
        "datetime": moment.isoformat(timespec="microseconds"),
        "timestamp_desc": time_meaning(event.type),
        "timestamp": int(moment.timestamp()) * 1_000_000 + moment.microsecond,
        "incident": event.incident,
        "seq": event.seq,
        "actor": event.actor,
        "event_type": event.type,
        "tag": ["ircli", event.type.split(".", 1)[0]],
        "payload": canonical_json(event.payload),
        "hash": event.hash,
    }


class TimesketchJsonlWriter:
    """Timesketch JSONL: one object per line."""

    name: ClassVar[str] = "timesketch-jsonl"
    suffix: ClassVar[str] = ".jsonl"
    description: ClassVar[str] = "Timesketch import (message, datetime, timestamp_desc)"

    def write(self, source: ExportSource, out: TextIO) -> int:
        """Write one Timesketch record per event."""
        count = 0
        for event in source.events():
            out.write(json.dumps(timesketch_record(event), ensure_ascii=False) + "\n")
            count += 1
        return count


class TimesketchCsvWriter:
    """Timesketch CSV: a header row, one row per event, formula-injection safe."""

    name: ClassVar[str] = "timesketch-csv"
    suffix: ClassVar[str] = ".csv"
    description: ClassVar[str] = "Timesketch import as CSV"

    def write(self, source: ExportSource, out: TextIO) -> int:
        """Write the header row and one row per event (tags comma-joined)."""

        def rows() -> Any:
            for event in source.events():
                record = timesketch_record(event)
                record["tag"] = ",".join(record["tag"])
                yield [record[column] for column in COLUMNS]

        return write_rows(out, COLUMNS, rows())
