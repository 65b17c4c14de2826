"""The SQLite store: an append-only, hash-chained journal per incident.

Appends run in ``BEGIN IMMEDIATE`` transactions, so concurrent writers (two
responders, a TUI and a CLI) serialise on the database lock and can never fork a
chain; the unique ``(incident, seq)`` constraint is the last line of defence.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ircli.core.canonical import canonical_json
from ircli.core.clock import Clock, format_ts, system_clock
from ircli.core.events import GENESIS_HASH, ChainBreak, ChainReport, Event, seal, verify_chain
from ircli.core.incident import format_incident_id
from ircli.errors import NotFoundError, StoreError
from ircli.store.migrations import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 30_000


def default_store_path() -> Path:
    """``IRCLI_STORE`` if set, else ``store.db`` in the platform's user data dir."""
    override = os.environ.get("IRCLI_STORE")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("ircli", appauthor=False)) / "store.db"


class Store:
    """An incident store on one SQLite file. Not thread-safe: one per thread."""

    def __init__(self, path: Path | str, *, clock: Clock = system_clock) -> None:
        self.path = Path(path).expanduser()
        self.clock = clock
        self._conn = self._open()
        self._migrate()

    # -- opening -------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        path = self.path
        if path.exists() and not path.is_file():
            raise StoreError(
                f"store path {path} is not a file",
                hint="point --store or IRCLI_STORE at a file, e.g. ~/incidents/store.db",
            )
        try:
            if not path.parent.is_dir():
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                os.close(fd)
            except FileExistsError:
                pass  # it exists already, or another process created it first: fine
        except OSError as exc:
            raise StoreError(
                f"cannot create the store at {path}: {exc.strerror or exc}",
                hint="check the directory exists and is writable, or choose another --store",
            ) from exc
        old_umask = os.umask(0o077)  # the -wal and -shm files must be owner-only too
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise self._as_store_error(exc) from exc
        finally:
            os.umask(old_umask)
        return conn

    def _as_store_error(self, exc: sqlite3.Error) -> StoreError:
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            return StoreError(
                f"the store {self.path} is corrupt or not an ircli store ({text})",
                hint="restore it from a backup, or point --store at another file",
            )
        if "readonly" in text or "unable to open" in text or "disk I/O" in text:
            return StoreError(
                f"cannot write the store {self.path} ({text})",
                hint="check the file and its directory are writable by you",
            )
        if "locked" in text or "busy" in text:
            return StoreError(
                f"the store {self.path} stayed locked by another process ({text})",
                hint="another ircli may be stuck; retry in a moment",
            )
        return StoreError(f"store error on {self.path}: {text}")

    def _migrate(self) -> None:
        try:
            tables = {
                row[0]
                for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if tables and "schema_version" not in tables:
                raise StoreError(
                    f"{self.path} is an SQLite file but not an ircli store",
                    hint="point --store at an ircli store or at a new file",
                )
            with self._write():
                self._conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
                row = self._conn.execute("SELECT max(version) FROM schema_version").fetchone()
                current = int(row[0] or 0)
                if current > SCHEMA_VERSION:
                    raise StoreError(
                        f"the store {self.path} has schema version {current}, "
                        f"newer than this ircli understands ({SCHEMA_VERSION})",
                        hint="upgrade ircli",
                    )
                for version in range(current + 1, SCHEMA_VERSION + 1):
                    for statement in MIGRATIONS[version - 1].split(";"):
                        if statement.strip():
                            self._conn.execute(statement)
                    self._conn.execute("INSERT INTO schema_version VALUES (?)", (version,))
        except sqlite3.Error as exc:
            raise self._as_store_error(exc) from exc
        self._tighten_permissions()

    def _tighten_permissions(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(f"{self.path}{suffix}")
            try:
                if candidate.exists() and stat.S_IMODE(candidate.stat().st_mode) & 0o077:
                    candidate.chmod(0o600)
            except OSError:
                pass  # not our file to fix (shared store): the owner decides

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on error."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._as_store_error(exc) from exc
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._conn.execute("ROLLBACK")
                raise self._as_store_error(exc) from exc

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def files_dir(self) -> Path:
        """Directory for content-addressed files (evidence, bundles) that belong to this store."""
        return self.path.parent / f"{self.path.stem}.files"

    # -- writing -------------------------------------------------------------------

    def create_incident(self, actor: str, payload: dict[str, Any]) -> Event:
        """Allocate the next ``INC-NNNN`` and append its ``incident.opened`` event."""
        try:
            with self._write() as conn:
                row = conn.execute("SELECT coalesce(max(number), 0) FROM incidents").fetchone()
                number = int(row[0]) + 1
                incident = format_incident_id(number)
                conn.execute(
                    "INSERT INTO incidents (id, number, head_seq, head_hash) VALUES (?, ?, 0, ?)",
                    (incident, number, GENESIS_HASH),
                )
                return self._append_locked(conn, incident, "incident.opened", payload, actor)[0]
        except sqlite3.Error as exc:
            raise self._as_store_error(exc) from exc

    def append(
        self,
        incident: str,
        type: str,
        payload: dict[str, Any],
        actor: str,
        *,
        expected_seq: int | None = None,
    ) -> Event:
        """Append one event; with ``expected_seq``, only if the head is still at that seq."""
        return self.append_many(incident, [(type, payload)], actor, expected_seq=expected_seq)[0]

    def append_many(
        self,
        incident: str,
        items: Sequence[tuple[str, dict[str, Any]]],
        actor: str,
        *,
        expected_seq: int | None = None,
    ) -> list[Event]:
        """Append several events atomically: all of them or none."""
        from ircli.errors import RefusedError

        try:
            with self._write() as conn:
                head = self._head_locked(conn, incident)
                if expected_seq is not None and head[0] != expected_seq:
                    raise RefusedError(
                        f"{incident} changed while you were working (now at event {head[0]}, "
                        f"expected {expected_seq})",
                        hint="refresh and try again",
                    )
                out: list[Event] = []
                for type_, payload in items:
                    out.extend(self._append_locked(conn, incident, type_, payload, actor))
                return out
        except sqlite3.Error as exc:
            raise self._as_store_error(exc) from exc

    def _head_locked(self, conn: sqlite3.Connection, incident: str) -> tuple[int, str]:
        row = conn.execute(
            "SELECT head_seq, head_hash FROM incidents WHERE id = ?", (incident,)
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no incident {incident}", hint="list incidents: ircli incident list"
            )
        return int(row[0]), str(row[1])

    def _append_locked(
        self,
        conn: sqlite3.Connection,
        incident: str,
        type: str,
        payload: dict[str, Any],
        actor: str,
    ) -> list[Event]:
        head_seq, head_hash = self._head_locked(conn, incident)
        text = canonical_json(payload)
        # Hash what will be read back: the payload as stored, re-parsed.
        event = seal(
            incident,
            head_seq + 1,
            format_ts(self.clock()),
            actor,
            type,
            json.loads(text),
            head_hash,
        )
        conn.execute(
            "INSERT INTO events (incident, seq, ts, actor, type, payload, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (incident, event.seq, event.ts, actor, type, text, event.prev_hash, event.hash),
        )
        conn.execute(
            "UPDATE incidents SET head_seq = ?, head_hash = ? WHERE id = ?",
            (event.seq, event.hash, incident),
        )
        return [event]

    # -- reading -------------------------------------------------------------------

    def incident_ids(self) -> list[str]:
        """Every incident id, oldest first."""
        rows = self._query("SELECT id FROM incidents ORDER BY number")
        return [str(row[0]) for row in rows]

    def exists(self, incident: str) -> bool:
        """Whether the incident exists."""
        return bool(self._query("SELECT 1 FROM incidents WHERE id = ?", (incident,)))

    def head(self, incident: str) -> tuple[int, str]:
        """``(seq, hash)`` of the incident's last event."""
        rows = self._query("SELECT head_seq, head_hash FROM incidents WHERE id = ?", (incident,))
        if not rows:
            raise NotFoundError(
                f"no incident {incident}", hint="list incidents: ircli incident list"
            )
        return int(rows[0][0]), str(rows[0][1])

    def data_version(self) -> int:
        """Changes whenever another connection commits: cheap polling for live views."""
        return int(self._query("PRAGMA data_version")[0][0])

    def events(
        self, incident: str, *, after_seq: int = 0, types: Sequence[str] | None = None
    ) -> Iterator[Event]:
        """The incident's events in order, streamed; raises if an event cannot be decoded."""
        for row in self._raw_events(incident, after_seq=after_seq, types=types):
            yield _row_to_event(row)

    def _raw_events(
        self, incident: str, *, after_seq: int = 0, types: Sequence[str] | None = None
    ) -> Iterator[tuple[Any, ...]]:
        sql = (
            "SELECT incident, seq, ts, actor, type, payload, prev_hash, hash FROM events "
            "WHERE incident = ? AND seq > ?"
        )
        params: list[Any] = [incident, after_seq]
        if types:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            params.extend(types)
        sql += " ORDER BY seq"
        try:
            cursor = self._conn.execute(sql, params)
            while batch := cursor.fetchmany(1000):
                yield from batch
        except sqlite3.Error as exc:
            raise self._as_store_error(exc) from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._as_store_error(exc) from exc

    # -- verifying -----------------------------------------------------------------

    def verify(self, incident: str) -> ChainReport:
        """Re-walk the incident's chain from genesis to the recorded head."""
        head = self.head(incident)
        decoded: list[Event] = []
        for row in self._raw_events(incident):
            event, problem = _decode_strict(row)
            if problem is not None:
                seq = len(decoded) + 1
                base = verify_chain(incident, decoded)
                if not base.ok:
                    return base
                return ChainReport(
                    incident, len(decoded), base.head_hash, ChainBreak(incident, seq, problem)
                )
            decoded.append(event)
        return verify_chain(incident, decoded, expected_head=head)

    def verify_numbering(self) -> list[str]:
        """Incident ids missing from the otherwise contiguous numbering (a deleted incident)."""
        numbers = [
            int(row[0]) for row in self._query("SELECT number FROM incidents ORDER BY number")
        ]
        expected = set(range(1, (numbers[-1] if numbers else 0) + 1))
        return [format_incident_id(n) for n in sorted(expected - set(numbers))]


def _row_to_event(row: tuple[Any, ...]) -> Event:
    return Event(
        incident=row[0],
        seq=int(row[1]),
        ts=row[2],
        actor=row[3],
        type=row[4],
        payload=json.loads(row[5]),
        prev_hash=row[6],
        hash=row[7],
    )


def _decode_strict(row: tuple[Any, ...]) -> tuple[Event, str | None]:
    """Decode a row, refusing a payload whose bytes are not exactly the canonical form."""
    text = row[5]
    try:
        payload = json.loads(text)
    except (TypeError, ValueError):
        return _placeholder(row), "payload is not valid JSON (event altered)"
    if not isinstance(payload, dict) or canonical_json(payload) != text:
        return _placeholder(row), "payload bytes differ from their canonical form (event altered)"
    try:
        return _row_to_event(row), None
    except (TypeError, ValueError):
        return _placeholder(row), "event fields are malformed (event altered)"


def _placeholder(row: tuple[Any, ...]) -> Event:
    return Event(str(row[0]), -1, "", "", "", {}, "", "")
