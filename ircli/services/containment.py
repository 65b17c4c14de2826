"""Containment: terminate accounts and revoke keys, previewed, approved, ledgered, resumable.

The flow, for a playbook step such as ``contain``:

1. :func:`preview_action` (``ircli act INC contain``) builds the dry-run preview — targets
   minus exclusions with reasons — and saves it in the journal with an approval request
   bound to the preview's hash.
2. Other responders approve that hash (:func:`approve_action`); changing the target list
   makes a new preview with a new hash, and earlier approvals stop counting.
3. :func:`execute_action` (``--execute``) checks the ceiling and the approvals, then acts on
   every target the ledger does not already show as succeeded or skipped. Re-running it
   after any crash finishes the job.
4. ``rollback=True`` reactivates what the action deactivated, under its own approval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ircli.actions.base import ActionPlugin, Mode, Target, idempotency_key
from ircli.actions.ledger import COMPLETED, STOPPED
from ircli.actions.runner import RunTotals
from ircli.core.approvals import ApprovalState
from ircli.errors import ExternalServiceError, IrcliError, RefusedError, WaitingError
from ircli.exitcodes import ExitCode
from ircli.services.action_preview import (
    ActionView,
    TargetRequest,
    account_system,
    action_for_step,
    action_journal,
    approval_rule,
    approval_step,
    build_preview,
    open_incident_id,
    run_async,
    step_ledger,
)
from ircli.services.incidents import get_incident
from ircli.services.workspace import Workspace

__all__ = [
    "ActionCancelled",
    "ActionRun",
    "ActionView",
    "TargetRequest",
    "action_status",
    "approve_action",
    "execute_action",
    "preview_action",
]


class ActionCancelled(IrcliError):
    """The responder cancelled a run; the ledger shows where it stopped."""

    exit_code = ExitCode.INTERRUPTED


@dataclass
class ActionRun:
    """The outcome of ``--execute``: this run's totals and the whole ledger's counts."""

    view: ActionView
    totals: RunTotals
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Targets whose latest outcome is a failure."""
        return self.counts.get("failed", 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (the ``--json`` contract of ``ircli act --execute``)."""
        return {
            "incident": self.view.incident,
            "step": self.view.preview.step,
            "action": self.view.preview.action,
            "mode": self.view.preview.mode,
            "preview_hash": self.view.preview_hash,
            "run": self.totals.to_dict(),
            "ledger": self.counts,
            "failures": self.failures,
        }


# -- preview --------------------------------------------------------------------------


def preview_action(
    ws: Workspace,
    incident: str,
    step: str,
    request: TargetRequest = TargetRequest(),
    *,
    action: str | None = None,
    rollback: bool = False,
    transport: Any = None,
    own_approval: bool = True,
) -> ActionView:
    """The dry run: build (or reuse) the preview, save it with its approval request if new.

    ``own_approval=False`` when a playbook step already enforces approvals of its own.
    """
    incident = open_incident_id(ws, incident)
    plugin = action_for_step(ws, step, action)
    mode: Mode = "rollback" if rollback else "apply"
    journal = action_journal(ws, incident)
    rule = approval_rule(plugin) if own_approval else None
    return build_preview(
        ws, incident, step, plugin, request, mode, transport, journal, rule, executing=False
    )


def action_status(
    ws: Workspace, incident: str, step: str, *, rollback: bool = False
) -> dict[str, Any]:
    """The ledger of a step: counts and every target's state."""
    incident = get_incident(ws, incident).id
    ledger = step_ledger(action_journal(ws, incident), step, "rollback" if rollback else "apply")
    targets = ledger.request["preview"]["targets"] if ledger.request else list(ledger.targets)
    return {
        "incident": incident,
        "step": step,
        "mode": ledger.mode,
        "preview_hash": ledger.request["preview_hash"] if ledger.request else None,
        "counts": ledger.counts(targets),
        "targets": [ledger.state_of(a).to_dict() for a in targets],
    }


# -- approvals ------------------------------------------------------------------------


def approve_action(
    ws: Workspace,
    incident: str,
    step: str,
    *,
    rollback: bool = False,
    preview_hash: str | None = None,
    comment: str = "",
    reject: bool = False,
) -> ApprovalState:
    """Approve (or reject, with a comment) the saved preview of a step as ``ws.actor``.

    The shared two-person-rule service does the work, so ``ircli approve INC STEP`` (and
    ``STEP:rollback``) is the same act. ``preview_hash`` is what the approver reviewed
    (a prefix of at least 8 characters is enough); if the preview changed since, the
    approval is refused.
    """
    from ircli.services import approvals

    answer = approvals.reject if reject else approvals.approve
    key = approval_step(step, "rollback" if rollback else "apply")
    return answer(ws, incident, key, comment, preview_hash)


# -- execution ------------------------------------------------------------------------


def execute_action(
    ws: Workspace,
    incident: str,
    step: str,
    request: TargetRequest = TargetRequest(),
    *,
    action: str | None = None,
    rollback: bool = False,
    transport: Any = None,
    on_progress: Callable[[int, int], None] | None = None,
    batch: int | None = None,
    own_approval: bool = True,
    cancel: threading.Event | None = None,
) -> ActionRun:
    """Act on every target of the approved preview that the ledger has not settled.

    Raises :class:`RefusedError` over the ceiling without an override,
    :class:`WaitingError` while approvals are missing, and :class:`ExternalServiceError`
    when the account system refuses the credentials (the run stops; nothing is marked
    failed, and re-running resumes). Failed targets are reported in the result.
    ``cancel`` stops the run between targets (:class:`ActionCancelled`; re-run to resume).
    """
    incident = open_incident_id(ws, incident)
    plugin = action_for_step(ws, step, action)
    mode: Mode = "rollback" if rollback else "apply"
    if rollback and not plugin.supports_rollback:
        raise RefusedError(
            f"action '{plugin.settings.name}' cannot be rolled back",
            hint="SCIM deletion is final; http actions need an [actions.NAME.rollback] table",
        )
    journal = action_journal(ws, incident)
    rule = approval_rule(plugin) if own_approval else None
    view = build_preview(
        ws, incident, step, plugin, request, mode, transport, journal, rule, executing=True
    )
    preview = view.preview
    if preview.over_ceiling and not preview.override:
        raise RefusedError(
            f"{len(preview.targets)} targets exceed the ceiling of {preview.ceiling}",
            hint="check the preview; to go ahead anyway: --override-ceiling --reason TEXT "
            "(a new preview that needs approval again)",
        )
    if view.approval is not None and not view.approval.satisfied:
        state = view.approval
        raise WaitingError(
            f"step '{step}' of {incident} waits for {state.missing} more approval(s) "
            f"of preview {preview.hash[:12]}"
            + (f" (rejected by {', '.join(state.rejected_by)})" if state.rejected_by else ""),
            hint=f"another responder runs: ircli --as NAME act {incident} {step}"
            + (" --rollback" if rollback else "")
            + f" --approve --preview-hash {preview.hash[:12]}",
            record={"incident": incident, "step": step, "mode": mode, **state.to_dict()},
            approval=True,
        )
    ledger = step_ledger(journal, step, mode)
    todo = [
        Target(account, preview.refs.get(account), resumed, incident, step)
        for account, resumed in ledger.todo(preview.targets)
    ]
    settings = plugin.settings

    def key_for(account: str) -> str:
        return idempotency_key(
            incident, step, settings.name, mode, account, ledger.round_of(account)
        )

    def sink(items: list[tuple[str, dict[str, Any]]]) -> None:
        ws.store.append_many(incident, items, ws.actor)
        for kind, payload in items:  # keep the ledger current without re-reading it
            ledger.apply(kind, payload)

    stop = cancel.is_set if cancel is not None else None
    totals = run_async(
        _execute(plugin, todo, ws, transport, mode, step, key_for, sink, on_progress, batch, stop)
    )
    counts = ledger.counts(preview.targets)
    closing = {
        "step": step,
        "mode": mode,
        "preview_hash": preview.hash,
        "totals": counts,
        "run": totals.to_dict(),
    }
    if totals.stopped:
        ws.store.append(incident, STOPPED, {**closing, "reason": totals.stopped}, ws.actor)
        raise ExternalServiceError(
            f"the account system refused ircli's credentials ({totals.stopped}); "
            f"stopped after {totals.succeeded + totals.skipped + totals.failed} of "
            f"{totals.targets} target(s), none marked failed",
            hint=f"fix the token (ircli auth set {settings.token_secret or 'NAME'}), "
            "then re-run the same command to resume",
        )
    if cancel is not None and cancel.is_set() and ledger.todo(preview.targets):
        ws.store.append(incident, STOPPED, {**closing, "reason": "cancelled"}, ws.actor)
        raise ActionCancelled(
            f"step '{step}' of {incident} was cancelled; "
            f"{len(ledger.todo(preview.targets))} target(s) left",
            hint="re-run the same command to resume",
        )
    ws.store.append(incident, COMPLETED, closing, ws.actor)
    failures = [
        t.to_dict() for t in (ledger.state_of(a) for a in preview.targets) if t.state == "failed"
    ]
    view.counts = counts
    return ActionRun(view, totals, counts, failures)


async def _execute(
    plugin: ActionPlugin,
    todo: list[Target],
    ws: Workspace,
    transport: Any,
    mode: Mode,
    step: str,
    key_for: Callable[[str], str],
    sink: Callable[[list[tuple[str, dict[str, Any]]]], None],
    on_progress: Callable[[int, int], None] | None,
    batch: int | None,
    cancel: Callable[[], bool] | None,
) -> RunTotals:
    from ircli.actions.runner import run_targets

    async with account_system(plugin, ws, transport) as client:
        return await run_targets(
            plugin,
            client,
            todo,
            mode=mode,
            step=step,
            key_for=key_for,
            sink=sink,
            on_progress=on_progress,
            batch=batch,
            cancel=cancel,
        )
