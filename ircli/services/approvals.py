"""Approvals: the one two-person-rule mechanism for decisions, response actions and reports.

Whatever needs approving — a decision (its option, rationale and evidence), an
action's dry-run preview, a report bundle — is hashed into a *subject* by the
caller; approvals bind to that subject, so changing what is approved voids them.
These functions know nothing about playbooks: the caller names the step and the
subject, and reads the result with :func:`approval_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ircli.core.approvals import (
    ApprovalRule,
    ApprovalState,
    approval_state,
    check_can_approve,
)
from ircli.core.events import Event
from ircli.core.incident import project_incident
from ircli.errors import ConfigError, RefusedError, ValidationError
from ircli.services.incidents import resolve_incident_id
from ircli.services.workspace import Workspace

APPROVAL_EVENTS = ("approval.requested", "approval.granted", "approval.rejected")
MAX_COMMENT = 5_000
_STATUS_EVENTS = ("incident.opened", "incident.updated", "incident.closed", "incident.reopened")


def roles(ws: Workspace) -> dict[str, list[str]]:
    """Config ``[policies.roles]``: role name → responders (validated)."""
    raw = ws.config.policies.get("roles", {})
    if not isinstance(raw, dict):
        raise ConfigError(
            "policies.roles must be a table of role = [responders]",
            hint='e.g. [policies.roles]\nleads = ["alice", "bob"]',
        )
    out: dict[str, list[str]] = {}
    for name, members in raw.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(
                f"policies.roles.{name} must be a list of responder names",
                hint=f'e.g. {name} = ["alice", "bob"]',
            )
        out[str(name)] = list(members)
    return out


def request_approval(
    ws: Workspace,
    incident: str,
    step: str,
    subject: str,
    rule: ApprovalRule,
    summary: str,
    *,
    extra: dict[str, Any] | None = None,
) -> Event:
    """Ask for ``rule.required`` approvals of ``subject`` on ``step``; the actor is the requester.

    ``extra`` adds keys to the request's payload; ``{"details": {...}}`` is shown to
    approvers by :func:`pending_approvals` (e.g. the preview whose hash ``subject`` is).
    """
    incident = resolve_incident_id(ws, incident)
    payload: dict[str, Any] = dict(extra or {})
    payload.update(
        {
            "step": step,
            "subject": subject,
            "required": rule.required,
            "from": list(rule.allowed),
            "summary": summary[:2000],
        }
    )
    return ws.store.append(incident, "approval.requested", payload, ws.actor)


def approval_status(ws: Workspace, incident: str, step: str) -> ApprovalState:
    """Where the approvals of one step stand."""
    incident = resolve_incident_id(ws, incident)
    return approval_state(ws.store.events(incident, types=APPROVAL_EVENTS), step)


def approve(
    ws: Workspace, incident: str, step: str, comment: str = "", subject: str | None = None
) -> ApprovalState:
    """Approve the current request of ``step`` as ``ws.actor``.

    ``subject`` is what the approver reviewed (a hash or a unique prefix of it); when
    the request changed since, the approval is refused rather than misapplied.
    """
    return _answer(ws, incident, step, comment, subject, "approval.granted")


def reject(
    ws: Workspace, incident: str, step: str, comment: str = "", subject: str | None = None
) -> ApprovalState:
    """Reject the current request of ``step`` as ``ws.actor`` (a comment is required)."""
    if not comment.strip():
        raise ValidationError(
            "a rejection needs a comment saying why", hint="--comment 'scope includes partner org'"
        )
    return _answer(ws, incident, step, comment, subject, "approval.rejected")


def _answer(
    ws: Workspace,
    incident: str,
    step: str,
    comment: str,
    subject: str | None,
    event_type: str,
) -> ApprovalState:
    incident = resolve_incident_id(ws, incident)
    if len(comment) > MAX_COMMENT:
        raise ValidationError(f"the comment is {len(comment)} characters; at most {MAX_COMMENT}")
    head_seq = ws.store.head(incident)[0]
    events = list(ws.store.events(incident, types=_STATUS_EVENTS + APPROVAL_EVENTS))
    if project_incident(incident, events).status == "closed":
        raise RefusedError(f"{incident} is closed", hint="closed incidents take no approvals")
    approval_events = [e for e in events if e.type in APPROVAL_EVENTS]
    state = approval_state(approval_events, step)
    request = _latest_request(approval_events, step)
    if request is None:
        raise RefusedError(
            f"step '{step}' of {incident} has no request waiting for approval",
            hint="list what waits with: ircli approvals",
        )
    if (
        subject is not None
        and state.subject
        and len(subject) >= 8
        and state.subject.startswith(subject)
    ):
        subject = state.subject  # a unique prefix of the hash, as people copy it
    rule = ApprovalRule(
        int(request.payload.get("required", 1)),
        tuple(str(x) for x in request.payload.get("from", [])),
    )
    if state.satisfied and event_type == "approval.granted":
        raise RefusedError(f"step '{step}' of {incident} already has the approvals it needs")
    check_can_approve(state, ws.actor, rule, subject=subject, roles=roles(ws))
    payload = {"step": step, "subject": state.subject, "comment": comment.strip()}
    # expected_seq: if anything was appended meanwhile (a new decision), refuse, don't misapply.
    ws.store.append(incident, event_type, payload, ws.actor, expected_seq=head_seq)
    return approval_status(ws, incident, step)


def _latest_request(events: list[Event], step: str) -> Event | None:
    found = None
    for event in events:
        if event.type == "approval.requested" and event.payload.get("step") == step:
            found = event
    return found


@dataclass(frozen=True)
class PendingApproval:
    """A request that still needs approvals."""

    incident: str
    title: str
    step: str
    summary: str
    requester: str
    required: int
    granted_by: list[str]
    allowed: list[str]
    subject: str
    requested_at: str
    details: dict[str, Any]
    """What is to be approved (a decision, a preview), as the requester recorded it."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the ``ircli approvals --json`` contract)."""
        return {
            "incident": self.incident,
            "title": self.title,
            "step": self.step,
            "summary": self.summary,
            "requester": self.requester,
            "required": self.required,
            "granted_by": list(self.granted_by),
            "missing": max(self.required - len(self.granted_by), 0),
            "from": list(self.allowed),
            "subject": self.subject,
            "requested_at": self.requested_at,
            "details": self.details,
        }


def pending_approvals(ws: Workspace) -> list[PendingApproval]:
    """Every request on an open incident that is neither satisfied nor rejected."""
    out: list[PendingApproval] = []
    for incident in ws.store.incident_ids():
        events = list(ws.store.events(incident, types=_STATUS_EVENTS + APPROVAL_EVENTS))
        info = project_incident(incident, events)
        if info.status == "closed":
            continue
        approval_events = [e for e in events if e.type in APPROVAL_EVENTS]
        steps = dict.fromkeys(
            str(e.payload.get("step")) for e in approval_events if e.type == "approval.requested"
        )
        for step in steps:
            state = approval_state(approval_events, step)
            request = _latest_request(approval_events, step)
            if request is None or state.satisfied or state.rejected_by:
                continue
            out.append(
                PendingApproval(
                    incident=incident,
                    title=info.title,
                    step=step,
                    summary=str(request.payload.get("summary", "")),
                    requester=request.actor,
                    required=state.required,
                    granted_by=list(state.granted_by),
                    allowed=[str(x) for x in request.payload.get("from", [])],
                    subject=state.subject or "",
                    requested_at=request.ts,
                    details=dict(request.payload.get("details") or {}),
                )
            )
    return out
