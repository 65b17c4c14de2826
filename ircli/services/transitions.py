"""The runner's moves: each writes one transition of a playbook run to the journal.

Every function here appends its events only if nobody else moved the incident since
the run was projected (``expected_seq``), so two runners on one incident never take
the same step twice; the loser re-projects and carries on.
"""

from __future__ import annotations

import threading
from typing import Any

from ircli.core.approvals import ApprovalRule, approval_subject
from ircli.core.canonical import canonical_json
from ircli.errors import IrcliError, RefusedError, ValidationError
from ircli.playbooks import sandbox
from ircli.playbooks.engine import Move, RunState
from ircli.playbooks.model import END, Playbook, Step
from ircli.services.approvals import request_approval
from ircli.services.playbooks import load_playbook
from ircli.services.runstate import start_payload
from ircli.services.steps import Progress, StepContext, StepResult, get_handler
from ircli.services.workspace import Workspace

Transition = list[tuple[str, dict[str, Any]]]


def append_transition(
    ws: Workspace, run: RunState, items: list[tuple[str, dict[str, Any]]]
) -> bool:
    """Append a transition only if nobody else moved the incident meanwhile."""
    try:
        ws.store.append_many(run.incident, items, ws.actor, expected_seq=run.head_seq)
    except RefusedError:
        return False  # another runner got there first: re-project and carry on
    return True


def _leave(playbook: Playbook, step: Step, nxt: str) -> list[tuple[str, dict[str, Any]]]:
    return [("playbook.completed", {"playbook": playbook.name})] if nxt == END else []


def _skip(ws: Workspace, playbook: Playbook, run: RunState, move: Move, *_: Any) -> None:
    assert move.step is not None and move.next is not None
    payload = {
        "playbook": playbook.name,
        "step": move.step.id,
        "visit": run.visit,
        "reason": move.reason,
        "next": move.next,
    }
    append_transition(ws, run, [("step.skipped", payload), *_leave(playbook, move.step, move.next)])


def completion_events(
    playbook: Playbook,
    run: RunState,
    step: Step,
    nxt: str,
    outputs: dict[str, Any],
    option: str | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The events that complete ``step`` (and the playbook, when ``nxt`` is the end)."""
    payload: dict[str, Any] = {
        "playbook": playbook.name,
        "step": step.id,
        "visit": run.visit,
        "outputs": outputs,
        "next": nxt,
    }
    if option is not None:
        payload["option"] = option
    return [("step.completed", payload), *_leave(playbook, step, nxt)]


def _complete_decision(
    ws: Workspace, playbook: Playbook, run: RunState, move: Move, *_: Any
) -> None:
    assert move.step is not None and move.next is not None
    decision = run.steps[move.step.id].decision
    assert decision is not None
    outputs = {
        "option": decision.option,
        "rationale": decision.rationale,
        "evidence": decision.evidence,
    }
    append_transition(
        ws, run, completion_events(playbook, run, move.step, move.next, outputs, decision.option)
    )


def _write_note(ws: Workspace, playbook: Playbook, run: RunState, move: Move, *_: Any) -> None:
    assert move.step is not None and move.next is not None and move.step.text is not None
    try:
        text = sandbox.render(move.step.text, run.variables()).strip()
    except sandbox.ExpressionError as exc:
        raise ValidationError(f"step '{move.step.id}': {exc}") from None
    append_transition(
        ws,
        run,
        [
            ("note.added", {"text": text or move.step.title, "step": move.step.id}),
            *completion_events(playbook, run, move.step, move.next, {"text": text}),
        ],
    )


def _handoff(ws: Workspace, playbook: Playbook, run: RunState, move: Move, *_: Any) -> None:
    step = move.step
    assert step is not None and step.playbook is not None
    target = load_playbook(ws, step.playbook)
    try:
        inputs = sandbox.render_value(step.params, run.variables())
    except sandbox.ExpressionError as exc:
        raise ValidationError(f"step '{step.id}': {exc}") from None
    base = {"playbook": playbook.name, "step": step.id, "visit": run.visit}
    append_transition(
        ws,
        run,
        [
            ("step.completed", {**base, "outputs": {"playbook": target.name}, "next": END}),
            ("playbook.handoff", {**base, "to": target.name, "inputs": inputs}),
            ("playbook.started", start_payload(target, inputs, origin=playbook.name)),
        ],
    )


def step_context(
    ws: Workspace, run: RunState, step: Step, progress: Progress | None, cancel: threading.Event
) -> StepContext:
    """The context a step handler runs (or previews) with: its rendered params and variables."""
    variables = run.variables()
    try:
        params = sandbox.render_value(step.params, variables)
    except sandbox.ExpressionError as exc:
        raise ValidationError(f"step '{step.id}': {exc}") from None
    ctx = StepContext(ws, run.incident, step, run.visit, params, variables, cancel=cancel)
    if progress is not None:
        ctx.progress = progress
    return ctx


def _subject(playbook: Playbook, run: RunState, ctx: StepContext) -> tuple[str, str, Any]:
    """What approvers of a handler step approve: its preview (or parameters), hashed."""
    step = ctx.step
    handler = get_handler(step.uses or "")
    preview = getattr(handler, "preview", None)
    shown = preview(ctx) if callable(preview) else {"params": ctx.params}
    value = {"playbook": playbook.name, "step": step.id, "visit": run.visit, "preview": shown}
    summary = f"{step.title} ({step.uses})"
    return approval_subject(value), summary, shown


def _request(
    ws: Workspace,
    playbook: Playbook,
    run: RunState,
    move: Move,
    progress: Progress | None,
    cancel: threading.Event,
) -> None:
    step = move.step
    assert step is not None and step.approvals is not None
    ctx = step_context(ws, run, step, progress, cancel)
    subject, summary, shown = _subject(playbook, run, ctx)
    rule = ApprovalRule(step.approvals.required, step.approvals.allowed)
    # What is approved goes into the journal with the request, so approvers review
    # exactly the preview whose hash they approve (ircli approvals --json shows it).
    request_approval(
        ws,
        run.incident,
        step.id,
        subject,
        rule,
        summary,
        extra={"playbook": playbook.name, "visit": run.visit, "details": {"preview": shown}},
    )


def _run_handler(
    ws: Workspace,
    playbook: Playbook,
    run: RunState,
    move: Move,
    progress: Progress | None,
    cancel: threading.Event,
) -> None:
    step = move.step
    assert step is not None and move.next is not None
    ctx = step_context(ws, run, step, progress, cancel)
    handler = get_handler(step.uses or "")
    status = run.steps[step.id]
    approval = status.approval
    # Re-check what was approved before starting (not when resuming a step already started).
    if step.approvals is not None and approval is not None and status.state != "running":
        subject, _, _ = _subject(playbook, run, ctx)
        if subject != approval.subject:
            # What would be done changed since it was approved: ask again.
            _request(ws, playbook, run, move, progress, cancel)
            return
    base = {"playbook": playbook.name, "step": step.id, "visit": run.visit}
    if run.steps[step.id].state != "running":
        if not append_transition(ws, run, [("step.started", base)]):
            return
        run.head_seq += 1
    try:
        result = handler.run(ctx)
        if not isinstance(result, StepResult):
            raise TypeError(
                f"handler '{step.uses}' returned {type(result).__name__}, not StepResult"
            )
        canonical_json(result.outputs)
    except IrcliError as exc:
        ws.store.append(run.incident, "step.failed", {**base, "error": exc.message}, ws.actor)
        raise
    except Exception as exc:
        ws.store.append(
            run.incident, "step.failed", {**base, "error": f"{type(exc).__name__}: {exc}"}, ws.actor
        )
        raise IrcliError(
            f"step '{step.id}' failed: {type(exc).__name__}: {exc}",
            hint="this is a bug in the step handler; run again to retry the step",
        ) from exc
    outputs = dict(result.outputs)
    if result.summary:
        outputs.setdefault("summary", result.summary)
    ws.store.append_many(
        run.incident, completion_events(playbook, run, step, move.next, outputs), ws.actor
    )


MOVES = {
    "skip": _skip,
    "complete": _complete_decision,
    "note": _write_note,
    "handoff": _handoff,
    "request-approval": _request,
    "run": _run_handler,
}
