"""Journal events and the hash chain that makes the journal tamper-evident.

Each event's ``hash`` is the SHA-256 of the canonical JSON of every other field,
``prev_hash`` included, so changing, removing or reordering any event breaks the
chain at that point. The incident id is part of the hashed body: an event cannot
be moved to another incident unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ircli.core.canonical import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event of every incident."""


@dataclass(frozen=True, slots=True)
class Event:
    """One immutable entry of an incident's journal."""

    incident: str
    seq: int
    ts: str
    actor: str
    type: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str = field(default="")

    def body(self) -> dict[str, Any]:
        """The hashed fields (everything except ``hash``)."""
        return {
            "incident": self.incident,
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "type": self.type,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`body`."""
        return sha256_hex(canonical_json(self.body()))

    def to_dict(self) -> dict[str, Any]:
        """All fields, ``hash`` included, as a JSON-able dict."""
        out = self.body()
        out["hash"] = self.hash
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        """Rebuild an event from :meth:`to_dict` output (no checks: see :func:`verify_chain`)."""
        return cls(
            incident=str(data["incident"]),
            seq=int(data["seq"]),
            ts=str(data["ts"]),
            actor=str(data["actor"]),
            type=str(data["type"]),
            payload=dict(data["payload"]),
            prev_hash=str(data["prev_hash"]),
            hash=str(data["hash"]),
        )


def seal(
    incident: str,
    seq: int,
    ts: str,
    actor: str,
    type: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> Event:
    """Build an event and compute its hash."""
    unsealed = Event(incident, seq, ts, actor, type, payload, prev_hash)
    return Event(incident, seq, ts, actor, type, payload, prev_hash, unsealed.compute_hash())


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where and why a chain stopped verifying."""

    incident: str
    seq: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"incident": self.incident, "seq": self.seq, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of verifying one incident's chain."""

    incident: str
    events: int
    head_hash: str
    brk: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        """True when the whole chain verified."""
        return self.brk is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "incident": self.incident,
            "ok": self.ok,
            "events": self.events,
            "head_hash": self.head_hash,
            "break": self.brk.to_dict() if self.brk else None,
        }


def verify_chain(
    incident: str,
    events: Iterable[Event],
    *,
    expected_head: tuple[int, str] | None = None,
) -> ChainReport:
    """Re-walk one incident's chain and report the first break.

    ``events`` must come in storage order. ``expected_head`` is the (seq, hash)
    recorded separately from the events; it catches a chain truncated at its end,
    which no event-local check can see.
    """
    prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for event in events:
        count += 1
        reason = _check_one(incident, event, expected_seq, prev)
        if reason:
            return ChainReport(
                incident, count - 1, prev, ChainBreak(incident, expected_seq, reason)
            )
        prev = event.hash
        expected_seq += 1
    if expected_head is not None:
        head_seq, head_hash = expected_head
        if head_seq > count:
            reason = f"chain truncated: the head records seq {head_seq} but events end at {count}"
            return ChainReport(incident, count, prev, ChainBreak(incident, count + 1, reason))
        if head_seq != count or head_hash != prev:
            reason = f"the recorded head (seq {head_seq}) does not match the last event"
            return ChainReport(
                incident, count, prev, ChainBreak(incident, min(head_seq, count), reason)
            )
    return ChainReport(incident, count, prev)


def _check_one(incident: str, event: Event, expected_seq: int, prev: str) -> str | None:
    if event.seq != expected_seq:
        return f"expected seq {expected_seq}, found seq {event.seq} (event missing or reordered)"
    if event.incident != incident:
        return f"event belongs to {event.incident}, not {incident}"
    if event.prev_hash != prev:
        return "prev_hash does not match the previous event's hash (event missing or reordered)"
    if event.compute_hash() != event.hash:
        return "hash does not match the event's content (event altered)"
    return None


def iter_payload_strings(payload: Any) -> Iterator[str]:
    """Every string inside a payload, for redaction and canary checks."""
    if isinstance(payload, str):
        yield payload
    elif isinstance(payload, dict):
        for key, value in payload.items():
            yield str(key)
            yield from iter_payload_strings(value)
    elif isinstance(payload, list | tuple):
        for item in payload:
            yield from iter_payload_strings(item)
