"""Decisions: record a responder's choice on a decide step, with its rationale and evidence.

The decision's subject (a hash of playbook, step, visit, option, rationale and
evidence) is what approvers approve: recording a different decision supersedes the
old one and voids the approvals it had.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ircli.core.approvals import approval_subject
from ircli.core.events import Event
from ircli.errors import RefusedError, ValidationError
from ircli.playbooks.engine import RunState, option_refusal
from ircli.services.incidents import resolve_incident_id
from ircli.services.runstate import run_state
from ircli.services.transitions import completion_events
from ircli.services.workspace import Workspace

MAX_RATIONALE = 5_000


def record_decision(
    ws: Workspace,
    incident: str,
    step_id: str,
    option: str,
    rationale: str,
    evidence: Sequence[str] = (),
) -> RunState:
    """Record a decision on the current decide step; with approvals, request them.

    Recording a different decision while approvals are pending supersedes the old
    one: approvals given to it no longer count.
    """
    playbook, run = run_state(ws, incident)
    step = playbook.step(step_id)
    if step is None or step.kind != "decide":
        decides = ", ".join(s.id for s in playbook.steps if s.kind == "decide")
        raise ValidationError(
            f"{run.incident}: '{step_id}' is not a decision step of {playbook.name}",
            hint=f"decision steps: {decides}",
        )
    status = run.steps[step.id]
    if run.current != step.id or status.state not in (
        "waiting-for-input",
        "waiting-for-approval",
        "ready",
    ):
        where = (
            f"the current step is '{run.current}'" if run.current else f"the run is {run.status}"
        )
        raise RefusedError(
            f"{run.incident}: step '{step_id}' is not waiting for a decision ({where})",
            hint=f"see where the run stands: ircli run {playbook.name} --incident {run.incident} --non-interactive",
        )
    if status.state == "ready" and status.decision is not None and step.approvals is not None:
        raise RefusedError(f"{run.incident}: the decision on '{step_id}' is already approved")
    refusal = option_refusal(step, option, run)
    if refusal:
        raise ValidationError(f"{run.incident}: {refusal}")
    rationale = rationale.strip()
    if not rationale:
        raise ValidationError(
            "a decision needs a rationale", hint="--rationale 'why this option, on what evidence'"
        )
    if len(rationale) > MAX_RATIONALE:
        raise ValidationError(
            f"the rationale is {len(rationale)} characters; at most {MAX_RATIONALE}"
        )
    evidence_ids = [str(e).strip() for e in evidence if str(e).strip()]
    for eid in evidence_ids:
        if len(eid) > 128 or any(ord(c) < 32 for c in eid):
            raise ValidationError(f"invalid evidence id {eid[:40]!r}")
    decided = {
        "playbook": playbook.name,
        "step": step.id,
        "visit": run.visit,
        "option": option,
        "rationale": rationale,
        "evidence": evidence_ids,
    }
    # The decider is part of what is approved: the same words recorded by someone else
    # are another person's decision and need their own approvals.
    subject = approval_subject({**decided, "by": ws.actor})
    previous = status.decision
    if (
        previous is not None
        and previous.subject == subject
        and status.approval is not None
        and status.approval.rejected_by
    ):
        raise RefusedError(
            f"{run.incident}: this decision on '{step_id}' was rejected by "
            f"{', '.join(status.approval.rejected_by)}",
            hint="record a different decision (option, rationale or evidence)",
        )
    items: list[tuple[str, dict[str, Any]]] = [
        ("decision.recorded", {**decided, "subject": subject})
    ]
    chosen = step.option(option)
    assert chosen is not None
    if step.approvals is not None:
        items.append(
            (
                "approval.requested",
                {
                    "playbook": playbook.name,
                    "visit": run.visit,
                    "step": step.id,
                    "subject": subject,
                    "required": step.approvals.required,
                    "from": list(step.approvals.allowed),
                    "summary": f"{step.title}: {chosen.label} — {rationale}"[:2000],
                    "details": {
                        "decision": {
                            "option": option,
                            "rationale": rationale,
                            "evidence": evidence_ids,
                        }
                    },
                },
            )
        )
    else:
        outputs = {"option": option, "rationale": rationale, "evidence": evidence_ids}
        items.extend(completion_events(playbook, run, step, chosen.next, outputs, option))
    ws.store.append_many(run.incident, items, ws.actor, expected_seq=run.head_seq)
    return run_state(ws, run.incident)[1]


def decision_events(ws: Workspace, incident: str) -> list[Event]:
    """Every decision recorded on the incident, oldest first."""
    incident = resolve_incident_id(ws, incident)
    return list(ws.store.events(incident, types=["decision.recorded"]))
