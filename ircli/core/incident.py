"""The incident: its identity, its vocabulary and its state as a projection of the journal."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ircli.core.events import Event

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
"""sev1 is the worst."""

TLP_LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
"""TLP 2.0 levels, least to most restricted."""

STATUSES = ("open", "closed")

_ID_RE = re.compile(r"^(?:INC-?)?0*(\d{1,9})$", re.IGNORECASE)


def format_incident_id(number: int) -> str:
    """``7`` → ``INC-0007``."""
    return f"INC-{number:04d}"


def parse_incident_id(text: str) -> str | None:
    """Normalise ``INC-7``, ``inc-0007`` or ``7`` to ``INC-0007``; ``None`` if it is no id."""
    match = _ID_RE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        return None
    return format_incident_id(int(match.group(1)))


def normalise_tlp(text: str) -> str | None:
    """``amber``, ``TLP:AMBER`` → ``AMBER``; ``None`` for anything that is no TLP 2.0 level."""
    level = text.strip().upper().removeprefix("TLP:").replace(" ", "")
    if level == "WHITE":  # TLP 1.0's name for CLEAR, still common in muscle memory
        level = "CLEAR"
    return level if level in TLP_LEVELS else None


@dataclass
class Incident:
    """Current state of one incident, derived from its events only."""

    id: str
    title: str = ""
    severity: str = "sev3"
    status: str = "open"
    tlp: str = "AMBER"
    owner: str = ""
    playbook: str | None = None
    description: str = ""
    subjects: list[str] = field(default_factory=list)
    created: str = ""
    updated: str = ""
    closed: str | None = None
    summary: str | None = None
    notes: int = 0
    events: int = 0
    head_hash: str = ""
    variables: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the ``--json`` contract of ``incident show``)."""
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "status": self.status,
            "tlp": self.tlp,
            "owner": self.owner,
            "playbook": self.playbook,
            "description": self.description,
            "subjects": list(self.subjects),
            "created": self.created,
            "updated": self.updated,
            "closed": self.closed,
            "summary": self.summary,
            "notes": self.notes,
            "events": self.events,
            "head_hash": self.head_hash,
        }


_UPDATABLE = ("title", "severity", "tlp", "owner", "description")


def project_incident(incident_id: str, events: Iterable[Event]) -> Incident:
    """Fold an incident's events into its current state."""
    state = Incident(id=incident_id)
    for event in events:
        apply_event(state, event)
    return state


def apply_event(state: Incident, event: Event) -> None:
    """Apply one event to ``state`` in place (unknown types only touch counters)."""
    payload = event.payload
    state.events = event.seq
    state.head_hash = event.hash
    state.updated = event.ts
    if event.type == "incident.opened":
        state.created = event.ts
        state.title = str(payload.get("title", ""))
        state.severity = str(payload.get("severity", state.severity))
        state.tlp = str(payload.get("tlp", state.tlp))
        state.owner = str(payload.get("owner", event.actor))
        state.playbook = payload.get("playbook")
        state.description = str(payload.get("description", ""))
        _add_subjects(state, payload.get("subjects", []))
    elif event.type == "incident.updated":
        for key in _UPDATABLE:
            if key in payload:
                setattr(state, key, str(payload[key]))
    elif event.type == "playbook.started" and payload.get("playbook"):
        # A run started after the incident was opened (or a hand-over) names the playbook.
        state.playbook = str(payload["playbook"])
    elif event.type == "subjects.added":
        _add_subjects(state, payload.get("accounts", []))
    elif event.type == "note.added":
        state.notes += 1
    elif event.type == "incident.closed":
        state.status = "closed"
        state.closed = event.ts
        state.summary = str(payload.get("summary", ""))
    elif event.type == "incident.reopened":
        state.status = "open"
        state.closed = None


def _add_subjects(state: Incident, accounts: Any) -> None:
    seen = set(state.subjects)
    for account in accounts if isinstance(accounts, list) else []:
        text = str(account)
        if text not in seen:
            seen.add(text)
            state.subjects.append(text)
