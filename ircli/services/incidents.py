"""Incidents: open, list, show, annotate, close and verify them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ircli.core.events import ChainReport, Event
from ircli.core.incident import (
    SEVERITIES,
    Incident,
    normalise_tlp,
    parse_incident_id,
    project_incident,
)
from ircli.core.timeline import TimelineEntry, timeline
from ircli.errors import NotFoundError, RefusedError, ValidationError
from ircli.playbooks import journal as _playbook_journal  # noqa: F401  (timeline wording)
from ircli.services.workspace import Workspace

MAX_TITLE = 200
MAX_NOTE = 20_000
MAX_SUBJECTS = 100_000


def resolve_incident_id(ws: Workspace, text: str) -> str:
    """Normalise ``7``/``inc-7`` to ``INC-0007`` and check that the incident exists."""
    incident = parse_incident_id(text)
    if incident is None:
        raise ValidationError(
            f"{text!r} is not an incident id", hint="incident ids look like INC-0007"
        )
    if not ws.store.exists(incident):
        raise NotFoundError(f"no incident {incident}", hint="list incidents: ircli incident list")
    return incident


def open_incident(
    ws: Workspace,
    *,
    title: str,
    severity: str | None = None,
    tlp: str | None = None,
    subjects: Sequence[str] = (),
    owner: str | None = None,
    description: str = "",
    playbook: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Incident:
    """Open a new incident and return its state."""
    title = title.strip()
    if not title:
        raise ValidationError(
            "an incident needs a title", hint="--title 'CoT harvesting from hydra cluster'"
        )
    if len(title) > MAX_TITLE:
        raise ValidationError(f"title is {len(title)} characters; at most {MAX_TITLE}")
    severity = (severity or ws.config.defaults.severity).lower()
    if severity not in SEVERITIES:
        raise ValidationError(
            f"unknown severity {severity!r}", hint="one of sev1, sev2, sev3, sev4"
        )
    level = normalise_tlp(tlp or ws.config.defaults.tlp)
    if level is None:
        raise ValidationError(
            f"unknown TLP level {tlp!r}", hint="one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED"
        )
    accounts = _clean_subjects(subjects)
    payload: dict[str, Any] = {
        "title": title,
        "severity": severity,
        "tlp": level,
        "owner": owner or ws.actor,
        "subjects": accounts,
        "description": description,
    }
    if playbook:
        payload["playbook"] = playbook
    if extra:
        payload.update(extra)
    event = ws.store.create_incident(ws.actor, payload)
    return get_incident(ws, event.incident)


def get_incident(ws: Workspace, incident: str) -> Incident:
    """The current state of one incident."""
    incident = resolve_incident_id(ws, incident)
    return project_incident(incident, ws.store.events(incident))


def list_incidents(ws: Workspace, *, status: str | None = None) -> list[Incident]:
    """Every incident (optionally only ``open`` or ``closed``), newest first."""
    found = [project_incident(i, ws.store.events(i)) for i in ws.store.incident_ids()]
    if status:
        found = [inc for inc in found if inc.status == status]
    return list(reversed(found))


def add_note(ws: Workspace, incident: str, text: str) -> Event:
    """Append a free-text note."""
    state = get_incident(ws, incident)
    text = text.strip()
    if not text:
        raise ValidationError("the note is empty")
    if len(text) > MAX_NOTE:
        raise ValidationError(f"the note is {len(text)} characters; at most {MAX_NOTE}")
    return ws.store.append(state.id, "note.added", {"text": text}, ws.actor)


def add_subjects(ws: Workspace, incident: str, accounts: Sequence[str]) -> Event:
    """Add subject accounts to an open incident."""
    state = _require_open(ws, incident)
    return ws.store.append(
        state.id, "subjects.added", {"accounts": _clean_subjects(accounts)}, ws.actor
    )


def close_incident(ws: Workspace, incident: str, *, summary: str) -> Incident:
    """Close an open incident with a summary."""
    state = _require_open(ws, incident)
    summary = summary.strip()
    if not summary:
        raise ValidationError(
            "closing needs a summary", hint="--summary 'Campaign contained, report filed'"
        )
    ws.store.append(state.id, "incident.closed", {"summary": summary}, ws.actor)
    return get_incident(ws, state.id)


def incident_timeline(ws: Workspace, incident: str) -> Iterator[TimelineEntry]:
    """The incident's readable timeline, streamed."""
    incident = resolve_incident_id(ws, incident)
    return timeline(ws.store.events(incident))


def incident_events(ws: Workspace, incident: str) -> Iterator[Event]:
    """The incident's raw journal events, streamed."""
    incident = resolve_incident_id(ws, incident)
    return ws.store.events(incident)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of ``ircli verify``: one report per incident plus store-level findings."""

    reports: list[ChainReport]
    missing_incidents: list[str]
    evidence_problems: list[dict[str, str]] = field(default_factory=list)
    """Evidence files that are missing or differ from the hashes their journal recorded."""

    @property
    def ok(self) -> bool:
        """True when every chain and evidence file verified and no incident is missing."""
        return (
            not self.missing_incidents
            and not self.evidence_problems
            and all(r.ok for r in self.reports)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "ok": self.ok,
            "incidents": [r.to_dict() for r in self.reports],
            "missing_incidents": self.missing_incidents,
            "evidence_problems": self.evidence_problems,
        }


def verify(ws: Workspace, incident: str | None = None) -> VerifyResult:
    """Re-walk the hash chain of one incident, or of every incident in the store."""
    if incident is not None:
        ids = [resolve_incident_id(ws, incident)]
        missing: list[str] = []
    else:
        ids = ws.store.incident_ids()
        missing = ws.store.verify_numbering()
    from ircli.services.evidence import verify_evidence

    reports = [ws.store.verify(i) for i in ids]
    problems = [
        {"incident": report.incident, "evidence": check.id, "problem": problem}
        for report in reports
        if report.ok  # a broken chain cannot vouch for the hashes it carries
        for check in verify_evidence(ws, report.incident)
        for problem in check.problems
    ]
    return VerifyResult(reports, missing, problems)


def _require_open(ws: Workspace, incident: str) -> Incident:
    state = get_incident(ws, incident)
    if state.status == "closed":
        raise RefusedError(f"{state.id} is closed", hint="closed incidents accept notes only")
    return state


def _clean_subjects(subjects: Sequence[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for raw in subjects:
        for part in str(raw).split(","):
            account = part.strip()
            if not account or account in seen:
                continue
            if len(account) > 256 or any(ord(c) < 32 for c in account):
                raise ValidationError(f"invalid account id {account[:40]!r}")
            seen.add(account)
            out.append(account)
    if len(out) > MAX_SUBJECTS:
        raise ValidationError(f"{len(out)} subject accounts; at most {MAX_SUBJECTS} per call")
    return out
