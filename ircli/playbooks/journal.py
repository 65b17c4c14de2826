"""How playbook, decision and approval events read in the timeline.

Imported by the incident services so every front end describes these events,
without loading the playbook engine.
"""

from __future__ import annotations

from typing import Any

from ircli.core.timeline import describes


def _short(text: Any, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@describes("playbook.started", "Playbook started")
def _d_started(p: dict[str, Any]) -> str:
    origin = f" (handed over from {p.get('from', '?')})" if p.get("from") else ""
    return f"Started playbook {p.get('playbook', '?')}{origin}"


@describes("playbook.completed", "Playbook completed")
def _d_completed(p: dict[str, Any]) -> str:
    return f"Completed playbook {p.get('playbook', '?')}"


@describes("playbook.handoff", "Playbook handed over")
def _d_handoff(p: dict[str, Any]) -> str:
    return f"Handed over from {p.get('playbook', '?')} to playbook {p.get('to', '?')}"


@describes("step.started", "Step started")
def _d_step_started(p: dict[str, Any]) -> str:
    return f"Started step '{p.get('step', '?')}'"


@describes("step.completed", "Step completed")
def _d_step_completed(p: dict[str, Any]) -> str:
    tail = (
        f": {_short(p['outputs']['summary'])}"
        if isinstance(p.get("outputs"), dict) and p["outputs"].get("summary")
        else ""
    )
    return f"Completed step '{p.get('step', '?')}'{tail}"


@describes("step.skipped", "Step skipped")
def _d_step_skipped(p: dict[str, Any]) -> str:
    return f"Skipped step '{p.get('step', '?')}' ({_short(p.get('reason', ''))})"


@describes("step.failed", "Step failed")
def _d_step_failed(p: dict[str, Any]) -> str:
    return f"Step '{p.get('step', '?')}' failed: {_short(p.get('error', ''))}"


@describes("decision.recorded", "Decision recorded")
def _d_decision(p: dict[str, Any]) -> str:
    # A payload without option or step gets the timeline's generic line (KeyError).
    return f"Decided '{p['option']}' on step '{p['step']}': {_short(p.get('rationale', ''))}"


@describes("approval.requested", "Approval requested")
def _requested(p: dict[str, Any]) -> str:
    return f"Requested {p.get('required', 1)} approval(s) for step '{p.get('step', '?')}': {p.get('summary', '')}"[
        :300
    ]


@describes("approval.granted", "Approval granted")
def _granted(p: dict[str, Any]) -> str:
    comment = f" — {p.get('comment', '?')}" if p.get("comment") else ""
    return f"Approved step '{p.get('step', '?')}'{comment}"[:300]


@describes("approval.rejected", "Approval rejected")
def _rejected(p: dict[str, Any]) -> str:
    return f"Rejected step '{p.get('step', '?')}' — {p.get('comment', '')}"[:300]
