"""Readable timeline lines for the event types an incident report relies on.

The modules that write these events may register their own descriptions; ours are
fallbacks only: each is registered when no one has described the type yet, so the
owner's wording wins whichever module is imported first.
"""

from __future__ import annotations

from typing import Any

from ircli.core.timeline import TIME_MEANINGS, Describer, describes
from ircli.export.fields import first, number, text


def _fallback(event_type: str, meaning: str, func: Describer) -> None:
    if event_type not in TIME_MEANINGS:
        describes(event_type, meaning)(func)


def _decision(p: dict[str, Any]) -> str:
    choice = text(first(p, "option", "decision", "choice", "outcome"), 120) or "?"
    step = text(p.get("step"), 60)
    why = text(first(p, "rationale", "reason"), 160)
    head = f"Decided “{choice}”" + (f" at {step}" if step else "")
    return head + (f": {why}" if why else "")


def _approval(verb: str) -> Describer:
    def describe(p: dict[str, Any]) -> str:
        step = text(p.get("step"), 60) or "?"
        comment = text(p.get("comment"), 120)
        return f"{verb} {step}" + (f": {comment}" if comment else "")

    return describe


def _approval_requested(p: dict[str, Any]) -> str:
    step = text(p.get("step"), 60) or "?"
    required = number(p.get("required")) or 1
    return f"Requested {required} approval(s) for {step}"


def _evidence(p: dict[str, Any]) -> str:
    source = text(first(p, "source", "source_name"), 60) or "?"
    records = number(first(p, "records", "record_count", "rows"))
    tail = f", {records} record(s)" if records is not None else ""
    return f"Evidence {text(first(p, 'evidence_id', 'id'), 40)} from {source}{tail}".replace(
        "  ", " "
    )


def _analysis(p: dict[str, Any]) -> str:
    accounts = number(first(p, "accounts", "account_count"))
    clusters = number(p.get("clusters"))
    parts = []
    if accounts is not None:
        parts.append(f"{accounts} account(s)")
    if clusters is not None:
        parts.append(f"{clusters} cluster(s)")
    return "Analysis completed" + (": " + ", ".join(parts) if parts else "")


def _action_requested(p: dict[str, Any]) -> str:
    kind = text(first(p, "action", "kind", "type"), 60) or "action"
    targets = number(first(p, "targets", "target_count", "count"))
    dry = " (dry run)" if p.get("dry_run") is True else ""
    tail = f" on {targets} target(s)" if targets is not None else ""
    return f"Requested {kind}{tail}{dry}"


def _target(verb: str) -> Describer:
    def describe(p: dict[str, Any]) -> str:
        target = text(first(p, "target", "account", "account_id"), 80) or "?"
        reason = text(first(p, "reason", "error"), 120)
        return f"{verb} {target}" + (f": {reason}" if reason else "")

    return describe


def _report(p: dict[str, Any]) -> str:
    status = text(first(p, "status_id", "status"), 80)
    objects = number(p.get("objects"))
    tail = f" ({objects} object(s))" if objects is not None else ""
    return "Forum report submitted" + (f", status {status}" if status else "") + tail


def _step(verb: str) -> Describer:
    def describe(p: dict[str, Any]) -> str:
        return f"{verb} step {text(first(p, 'step', 'name'), 60) or '?'}"

    return describe


def register() -> None:
    """Register the fallbacks (idempotent; called when the export package is used)."""
    _fallback("decision.recorded", "Decision recorded", _decision)
    _fallback("approval.requested", "Approval requested", _approval_requested)
    _fallback("approval.granted", "Approval granted", _approval("Approved"))
    _fallback("approval.rejected", "Approval rejected", _approval("Rejected"))
    _fallback("evidence.added", "Evidence added", _evidence)
    _fallback("analysis.completed", "Analysis completed", _analysis)
    _fallback("action.requested", "Action requested", _action_requested)
    _fallback("action.target_succeeded", "Action succeeded on target", _target("Acted on"))
    _fallback("action.target_failed", "Action failed on target", _target("Failed on"))
    _fallback("action.target_skipped", "Action skipped target", _target("Skipped"))
    _fallback("report.submitted", "Report submitted", _report)
    _fallback("step.started", "Step started", _step("Started"))
    _fallback("step.completed", "Step completed", _step("Completed"))


register()
