"""The timeline: each journal event as one line a person can read.

Other layers teach the timeline their event types with :func:`describes`, so a
playbook step or an action shows up in words rather than as raw JSON. The modules that
hold those descriptions are named in the ``ircli.timeline`` entry-point group (a lab's
plugin names its own the same way); the first description asked for imports them all,
so a reader's wording never depends on which other modules it happened to import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ircli.core.events import Event

Describer = Callable[[dict[str, Any]], str]

_DESCRIBERS: dict[str, Describer] = {}

TIME_MEANINGS: dict[str, str] = {}
"""Event type → what its timestamp means, for Timesketch's ``timestamp_desc``."""

GROUP = "ircli.timeline"
"""Entry-point group naming the modules that describe event types."""

_log = logging.getLogger(__name__)
_loaded = False


def load_descriptions() -> None:
    """Import every module of the ``ircli.timeline`` group once.

    Owners' descriptions replace fallbacks whatever the import order (see
    :func:`describes`). A plugin that fails to import is logged and skipped: its event
    types then read as their type name, which is still a correct timeline.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    from importlib.metadata import entry_points

    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        try:
            point.load()
        except Exception as exc:  # one broken plugin must not hide the timeline
            _log.warning("timeline descriptions %s could not be loaded: %s", point.value, exc)


def describes(event_type: str, meaning: str | None = None) -> Callable[[Describer], Describer]:
    """Register the one-line description of an event type."""

    def register(func: Describer) -> Describer:
        _DESCRIBERS[event_type] = func
        if meaning:
            TIME_MEANINGS[event_type] = meaning
        return func

    return register


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One readable line of the timeline."""

    seq: int
    ts: str
    actor: str
    type: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "type": self.type,
            "message": self.message,
        }


def describe(event: Event) -> str:
    """The event as one line of plain text (attacker text stays data: no markup is added)."""
    if not _loaded:
        load_descriptions()
    func = _DESCRIBERS.get(event.type)
    if func is not None:
        try:
            return func(event.payload)
        except (KeyError, TypeError, ValueError):
            pass  # a malformed payload still gets the generic line below
    return event.type.replace(".", " ")


def time_meaning(event_type: str) -> str:
    """What an event's timestamp means ("Incident opened", …)."""
    if not _loaded:
        load_descriptions()
    return TIME_MEANINGS.get(event_type, event_type.replace(".", " ").capitalize())


def timeline(events: Iterable[Event]) -> Iterator[TimelineEntry]:
    """The readable timeline of a stream of events (streams; holds one event at a time)."""
    for event in events:
        yield TimelineEntry(event.seq, event.ts, event.actor, event.type, describe(event))


def _one_line(text: Any, limit: int = 200) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@describes("incident.opened", "Incident opened")
def _opened(p: dict[str, Any]) -> str:
    subjects = p.get("subjects") or []
    tail = f" with {len(subjects)} subject account(s)" if subjects else ""
    return f"Opened {p.get('severity', '')} incident “{_one_line(p.get('title', ''))}”{tail}"


@describes("incident.updated", "Incident updated")
def _updated(p: dict[str, Any]) -> str:
    changes = ", ".join(f"{k} → {_one_line(v, 60)}" for k, v in sorted(p.items()))
    return f"Updated {changes}"


@describes("subjects.added", "Subjects added")
def _subjects(p: dict[str, Any]) -> str:
    return f"Added {len(p.get('accounts', []))} subject account(s)"


@describes("note.added", "Note added")
def _note(p: dict[str, Any]) -> str:
    return f"Note: {_one_line(p['text'])}"


@describes("incident.closed", "Incident closed")
def _closed(p: dict[str, Any]) -> str:
    return f"Closed: {_one_line(p.get('summary', ''))}"


@describes("incident.reopened", "Incident reopened")
def _reopened(p: dict[str, Any]) -> str:
    return f"Reopened: {_one_line(p.get('reason', ''))}"
