"""JSONL: every event with its hashes, then a head record; verifiable offline.

Each event line is the canonical JSON of the journal event (``seq``, ``ts``,
``actor``, ``type``, ``payload``, ``prev_hash``, ``hash``). The last line is the
head record: the journal's head ``(seq, hash)``, how many events the file carries,
and a digest over the event lines. A recipient re-walks the chain with no store:

- a complete, unredacted export verifies like the journal itself (every hash,
  every link, and the head);
- a filtered or redacted export still has its digest and count, seq order, and the
  links between consecutive events; a redacted payload's hash cannot be re-checked,
  and the verification says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, TextIO

from ircli.core.canonical import canonical_json
from ircli.core.events import GENESIS_HASH, Event, verify_chain
from ircli.export import ExportSource

FORMAT = "ircli-timeline"
VERSION = 1


class JsonlWriter:
    """The journal as JSON lines with a closing head record."""

    name: ClassVar[str] = "jsonl"
    suffix: ClassVar[str] = ".jsonl"
    description: ClassVar[str] = "every event with its hashes and the head hash (verifiable)"

    def write(self, source: ExportSource, out: TextIO) -> int:
        """Write one line per event, then the head record."""
        digest = hashlib.sha256()
        count = 0
        for event in source.events():
            line = canonical_json(event.to_dict())
            digest.update(line.encode("utf-8") + b"\n")
            out.write(line + "\n")
            count += 1
        head = {
            "record": "head",
            "format": FORMAT,
            "version": VERSION,
            "incident": source.incident.id,
            "head_seq": source.head_seq,
            "head_hash": source.head_hash,
            "complete": source.complete,
            "redacted": source.redacted,
            "selection": source.selection,
            "events": count,
            "digest": "sha256:" + digest.hexdigest(),
            "generated_at": source.generated_at,
            "generator": source.generator,
        }
        out.write(canonical_json(head) + "\n")
        return count


@dataclass(frozen=True)
class ExportCheck:
    """The outcome of verifying one JSONL export."""

    ok: bool
    incident: str
    events: int
    head_seq: int
    head_hash: str
    complete: bool
    redacted: bool
    line: int | None = None
    reason: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "ok": self.ok,
            "incident": self.incident,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "complete": self.complete,
            "redacted": self.redacted,
            "break": {"line": self.line, "reason": self.reason} if not self.ok else None,
            "note": self.note,
        }


class _Broken(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def verify_export(open_lines: Callable[[], Iterable[bytes]]) -> ExportCheck:
    """Verify an export from its raw lines, in two streamed passes (one event at a time).

    ``open_lines`` returns a fresh iterator over the file's lines on each call. The
    first pass checks each line, the order, the links and the digest and finds the
    head record; the second re-walks a complete export with the journal's own
    :func:`verify_chain`, so it proves exactly what ``ircli verify`` proves.
    """
    digest = hashlib.sha256()
    state: dict[str, Any] = {"count": 0, "prev": None, "head": None, "incident": ""}
    try:
        number = 0
        for number, raw in enumerate(open_lines(), start=1):
            if state["head"] is not None:
                raise _Broken(number, "content after the head record (lines added)")
            record = _parse(number, raw)
            if record.get("record") == "head":
                state["head"] = record
                continue
            digest.update(raw.rstrip(b"\r\n") + b"\n")
            _check_partial(number, _event(number, record), state)
        if state["head"] is None:
            raise _Broken(number + 1, "no head record at the end (file truncated)")
        if state["count"] and state["incident"] != state["head"].get("incident"):
            raise _Broken(1, f"the events belong to {state['incident']}, not the head's incident")
        return _finish(state["head"], int(state["count"]), digest.hexdigest(), open_lines)
    except _Broken as exc:
        head = state["head"] or {}
        return ExportCheck(
            False,
            str(head.get("incident") or state["incident"]),
            int(state["count"]),
            _int(head.get("head_seq")),
            str(head.get("head_hash", "")),
            head.get("complete") is True,
            head.get("redacted") is True,
            exc.line,
            exc.reason,
        )


def _events_of(open_lines: Callable[[], Iterable[bytes]]) -> Iterator[Event]:
    for raw in open_lines():
        record = json.loads(raw)
        if record.get("record") != "head":
            yield Event.from_dict(record)


def _parse(number: int, raw: bytes) -> dict[str, Any]:
    try:
        line = raw.rstrip(b"\r\n").decode("utf-8")
        record = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise _Broken(number, "not valid UTF-8 JSON (line altered)") from None
    if not isinstance(record, dict):
        raise _Broken(number, "not a JSON object (line altered)")
    try:
        canonical = canonical_json(record)
    except ValueError:
        raise _Broken(number, "holds a non-finite number (line altered)") from None
    if canonical != line:
        # ircli writes canonical JSON only: any other spelling means a byte was changed.
        raise _Broken(number, "not in canonical form (line altered)")
    return record


def _event(number: int, record: dict[str, Any]) -> Event:
    try:
        event = Event.from_dict(record)
    except (KeyError, TypeError, ValueError):
        raise _Broken(number, "not a journal event (fields missing or altered)") from None
    if set(record) != {*event.body(), "hash"}:
        raise _Broken(number, "unexpected fields in an event (line altered)")
    return event


def _check_partial(number: int, event: Event, state: dict[str, Any]) -> None:
    """Checks that hold for any export, filtered or not: incident, order and links."""
    prev: Event | None = state["prev"]
    if prev is None:
        state["incident"] = event.incident
    elif event.incident != state["incident"]:
        raise _Broken(number, f"event of {event.incident} inside an export of {state['incident']}")
    elif event.seq <= prev.seq:
        raise _Broken(number, f"seq {event.seq} after seq {prev.seq} (lines reordered)")
    elif event.seq == prev.seq + 1 and event.prev_hash != prev.hash:
        raise _Broken(number, f"seq {event.seq} does not link to seq {prev.seq} (altered)")
    if event.seq == 1 and event.prev_hash != GENESIS_HASH:
        raise _Broken(number, "the first event does not start the chain (altered)")
    state["prev"] = event
    state["count"] += 1


def _finish(
    head: dict[str, Any], count: int, digest: str, open_lines: Callable[[], Iterable[bytes]]
) -> ExportCheck:
    incident = str(head.get("incident", ""))
    complete = head.get("complete") is True
    redacted = head.get("redacted") is True
    head_seq, head_hash = _int(head.get("head_seq")), str(head.get("head_hash", ""))
    last_line = count + 1

    def result(reason: str = "", line: int | None = last_line, note: str = "") -> ExportCheck:
        ok = not reason
        return ExportCheck(
            ok,
            incident,
            count,
            head_seq,
            head_hash,
            complete,
            redacted,
            None if ok else line,
            reason,
            note,
        )

    if head.get("format") != FORMAT or head.get("version") != VERSION:
        return result("the head record is not an ircli timeline export (version 1)")
    if complete != (not redacted and not head.get("selection")):
        # A full export relabelled "partial" would escape the chain check: refuse it.
        return result("the head record's complete/selection/redacted fields disagree (altered)")
    if complete:
        report = verify_chain(incident, _events_of(open_lines), expected_head=(head_seq, head_hash))
        if not report.ok:
            assert report.brk is not None
            return result(f"seq {report.brk.seq}: {report.brk.reason}", report.brk.seq)
    elif not redacted:
        for line, event in enumerate(_events_of(open_lines), start=1):
            if event.incident != incident:
                return result(f"event of {event.incident} in an export of {incident}", line)
            if event.compute_hash() != event.hash:
                return result("hash does not match the event's content (event altered)", line)
            if event.seq > head_seq:
                return result(f"seq {event.seq} lies beyond the head ({head_seq})", line)
    if _int(head.get("events")) != count:
        return result(f"the head records {head.get('events')} events, the file has {count}")
    if head.get("digest") != "sha256:" + digest:
        return result("the digest of the event lines does not match the head (lines changed)")
    if complete:
        return result(note="complete export: every event, every link and the head hash verified")
    return result(
        note="partial export: event order, links between consecutive events and the digest "
        "verified"
        + ("; payloads are redacted, so event hashes cannot be re-checked" if redacted else "")
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1
