"""Schema migrations of the SQLite store, applied in order inside one transaction each.

Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the journal. `incidents` anchors each chain's head, so a chain truncated at
    # its end is still detected; `events` is append-only, one row per event.
    """
    CREATE TABLE incidents (
        id        TEXT PRIMARY KEY,
        number    INTEGER NOT NULL UNIQUE,
        head_seq  INTEGER NOT NULL,
        head_hash TEXT NOT NULL
    );
    CREATE TABLE events (
        incident  TEXT NOT NULL REFERENCES incidents(id),
        seq       INTEGER NOT NULL,
        ts        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        type      TEXT NOT NULL,
        payload   TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL,
        UNIQUE (incident, seq)
    );
    CREATE INDEX events_type ON events (incident, type);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
