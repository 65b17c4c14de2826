"""The step engine: pure functions from a playbook and an incident's journal to the run's state.

Nothing here reads a clock, a store or a terminal. :func:`project_run` folds the
journal into each step's state and the variables expressions see; :func:`next_move`
says what happens next. Every transition the runner makes is a journal event, so
projecting the same journal always gives the same answer — which is what makes a
run resumable after a crash at any instant.

Journal events of a run (payloads; each also carries ``playbook``):

- ``playbook.started``   ``{"inputs", "version", "digest", "from"?}``
- ``step.started``       ``{"step", "visit"}`` (handler steps only)
- ``step.completed``     ``{"step", "visit", "outputs", "next", "option"?}``
- ``step.skipped``       ``{"step", "visit", "reason", "next"}``
- ``step.failed``        ``{"step", "visit", "error"}``
- ``decision.recorded``  ``{"step", "visit", "option", "rationale", "evidence", "subject"}``
- ``playbook.handoff``   ``{"step", "to", "inputs"}``
- ``playbook.completed`` ``{}``

plus the approval events of :mod:`ircli.core.approvals` (with ``playbook`` and ``visit``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ircli.core.approvals import ApprovalState, approval_state
from ircli.core.events import Event
from ircli.core.incident import Incident, apply_event
from ircli.playbooks import sandbox
from ircli.playbooks.model import END, HANDLER_KINDS, Playbook, Step

STATES = (
    "pending",
    "ready",
    "waiting-for-input",
    "waiting-for-approval",
    "running",
    "done",
    "skipped",
    "failed",
)

APPROVAL_TYPES = ("approval.requested", "approval.granted", "approval.rejected")

RUN_EVENT_TYPES = (
    "incident.opened",
    "incident.updated",
    "incident.closed",
    "incident.reopened",
    "subjects.added",
    "playbook.started",
    "playbook.handoff",
    "playbook.completed",
    "step.started",
    "step.completed",
    "step.skipped",
    "step.failed",
    "decision.recorded",
    *APPROVAL_TYPES,
)
"""Every event type :func:`project_run` reads; others can be left out of its input."""


@dataclass
class Decision:
    """The latest decision recorded on a step's current visit."""

    option: str
    rationale: str
    evidence: list[str]
    subject: str
    actor: str
    seq: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "option": self.option,
            "rationale": self.rationale,
            "evidence": list(self.evidence),
            "subject": self.subject,
            "by": self.actor,
        }


@dataclass
class StepStatus:
    """Where one step stands."""

    id: str
    kind: str
    title: str
    state: str = "pending"
    visit: int = 0
    outputs: dict[str, Any] = field(default_factory=dict)
    option: str | None = None
    decision: Decision | None = None
    approval: ApprovalState | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "state": self.state,
            "visit": self.visit,
            "outputs": self.outputs,
            "option": self.option,
            "decision": self.decision.to_dict() if self.decision else None,
            "approval": self.approval.to_dict() if self.approval else None,
            "reason": self.reason,
        }


@dataclass
class RunState:
    """A playbook run on one incident, as the journal says it stands."""

    incident: str
    playbook: str
    status: str = "not-started"
    """not-started, running, waiting-for-input, waiting-for-approval, failed, completed, handed-off"""
    current: str | None = None
    steps: dict[str, StepStatus] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    visits: Counter[str] = field(default_factory=Counter)
    taken: Counter[tuple[str, str]] = field(default_factory=Counter)
    handed_off_to: str | None = None
    head_seq: int = 0
    info: Incident | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def visit(self) -> int:
        """The current step's visit number (1 the first time it is reached)."""
        return self.visits[self.current] if self.current else 0

    @property
    def current_step(self) -> StepStatus | None:
        """Status of the current step."""
        return self.steps.get(self.current) if self.current else None

    def variables(self) -> dict[str, Any]:
        """What expressions and templates can read."""
        steps: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        analysis: dict[str, Any] = {}
        for sid, st in self.steps.items():
            steps[sid] = {
                "state": st.state,
                "outputs": st.outputs,
                "option": st.option,
                "visits": self.visits[sid],
            }
        for entry in self.history:
            if entry["event"] == "completed":
                merged.update(entry["outputs"])
                if entry["kind"] == "analyze":
                    analysis = dict(entry["outputs"])
        info = self.info
        incident = {
            "id": self.incident,
            "title": info.title if info else "",
            "severity": info.severity if info else "",
            "tlp": info.tlp if info else "",
            "status": info.status if info else "",
            "subjects": list(info.subjects) if info else [],
        }
        return {
            "inputs": dict(self.inputs),
            "steps": steps,
            "incident": incident,
            "analysis": analysis,
            "vars": merged,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``ircli run --json`` and the TUI's step list)."""
        return {
            "incident": self.incident,
            "playbook": self.playbook,
            "status": self.status,
            "current": self.current,
            "visit": self.visit,
            "handed_off_to": self.handed_off_to,
            "inputs": self.inputs,
            "steps": [st.to_dict() for st in self.steps.values()],
            "history": self.history,
        }


def active_playbook(events: Iterable[Event]) -> str | None:
    """The playbook whose run is the incident's latest (``None`` before any run)."""
    name: str | None = None
    for event in events:
        if event.type == "playbook.started":
            name = str(event.payload.get("playbook"))
    return name


def project_run(playbook: Playbook, incident: str, events: Iterable[Event]) -> RunState:
    """Fold the incident's journal into the state of ``playbook``'s latest run."""
    run = _fresh(playbook, incident)
    info = Incident(id=incident)
    approvals: list[Event] = []
    for event in events:
        apply_event(info, event)
        run.head_seq = event.seq
        p = event.payload
        if event.type == "playbook.started":
            if p.get("playbook") == playbook.name:
                run = _fresh(playbook, incident)
                run.head_seq = event.seq
                approvals = []
                run.inputs = dict(p.get("inputs") or {})
                run.status = "running"
                _enter(run, playbook.steps[0].id)
            elif run.status == "running":
                run.status = "handed-off"
            continue
        if run.status == "not-started":
            continue
        if event.type in APPROVAL_TYPES:
            # Grants carry only the step and subject; the subject binds them to a visit.
            approvals.append(event)
        elif p.get("playbook") == playbook.name:
            _apply(run, playbook, event)
    run.info = info
    _settle(run, playbook, approvals)
    return run


def _fresh(playbook: Playbook, incident: str) -> RunState:
    run = RunState(incident=incident, playbook=playbook.name)
    run.steps = {s.id: StepStatus(s.id, s.kind, s.title) for s in playbook.steps}
    return run


def _enter(run: RunState, step_id: str) -> None:
    if step_id == END:
        run.current = None
        return
    run.current = step_id
    run.visits[step_id] += 1
    status = run.steps[step_id]
    status.visit = run.visits[step_id]
    status.state, status.decision, status.reason = "ready", None, ""


def _apply(run: RunState, playbook: Playbook, event: Event) -> None:
    p = event.payload
    step_id = p.get("step")
    if event.type == "playbook.completed":
        run.status, run.current = "completed", None
        return
    if event.type == "playbook.handoff":
        run.status, run.handed_off_to = "handed-off", str(p.get("to"))
        return
    # Events for any step but the current visit are stale (a race lost): ignore them.
    if step_id != run.current or p.get("visit") != run.visit or run.current is None:
        return
    status = run.steps[run.current]
    if event.type == "step.started":
        status.state, status.reason = "running", ""
    elif event.type == "step.failed":
        status.state, status.reason = "failed", str(p.get("error", ""))
    elif event.type == "decision.recorded":
        status.decision = Decision(
            str(p.get("option")),
            str(p.get("rationale", "")),
            [str(e) for e in p.get("evidence", [])],
            str(p.get("subject", "")),
            event.actor,
            event.seq,
        )
    elif event.type in ("step.completed", "step.skipped"):
        done = event.type == "step.completed"
        status.state = "done" if done else "skipped"
        status.outputs = dict(p.get("outputs") or {}) if done else {}
        status.option = p.get("option")
        status.reason = "" if done else str(p.get("reason", ""))
        if status.option:
            run.taken[(status.id, status.option)] += 1
        run.history.append(
            {
                "step": status.id,
                "kind": status.kind,
                "visit": status.visit,
                "event": "completed" if done else "skipped",
                "option": status.option,
                "outputs": status.outputs,
                "by": event.actor,
            }
        )
        nxt = str(p.get("next", END))
        if nxt != END and playbook.step(nxt) is None:
            nxt = END  # a journal written by another version of the playbook
        _enter(run, nxt)


def _settle(run: RunState, playbook: Playbook, approvals: list[Event]) -> None:
    """Give the current step its waiting state, and the run its status."""
    if run.status in ("not-started", "completed", "handed-off"):
        return
    if run.current is None:
        run.status = "completed"
        return
    step = playbook.step(run.current)
    status = run.steps[run.current]
    assert step is not None
    mine = [
        e
        for e in approvals
        if e.payload.get("step") == step.id
        and (e.type != "approval.requested" or e.payload.get("visit") == status.visit)
    ]
    if step.approvals is not None and mine:
        status.approval = approval_state(mine, step.id)
    if status.state in ("running", "failed"):
        run.status = "failed" if status.state == "failed" else "running"
        return
    if step.kind == "decide":
        if status.decision is None:
            status.state = "waiting-for-input"
        elif step.approvals is not None:
            approval = status.approval
            if approval is None or approval.subject != status.decision.subject:
                status.state = "waiting-for-approval"
            elif approval.rejected_by:
                status.state = "waiting-for-input"
                status.reason = (
                    f"decision rejected by {', '.join(approval.rejected_by)}: record a new one"
                )
            else:
                status.state = "ready" if approval.satisfied else "waiting-for-approval"
        else:
            status.state = "ready"
    elif step.kind in HANDLER_KINDS and step.approvals is not None and status.approval is not None:
        approval = status.approval
        if approval.rejected_by:
            status.state = "failed"
            status.reason = f"rejected by {', '.join(approval.rejected_by)}"
        else:
            status.state = "ready" if approval.satisfied else "waiting-for-approval"
    elif step.needs_responder:
        status.state = "waiting-for-input"
    else:
        status.state = "ready"
    run.status = {
        "waiting-for-input": "waiting-for-input",
        "waiting-for-approval": "waiting-for-approval",
        "failed": "failed",
    }.get(status.state, "running")


# -- what next ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """What the runner should do next.

    ``kind``: ``skip`` (the step's ``when`` is false), ``run`` (a handler step),
    ``request-approval`` (a handler step whose preview needs approving), ``complete``
    (an approved decision), ``note`` (write the step's note), ``handoff`` (start the
    other playbook), ``input`` (a responder must act), ``wait`` (approvals are
    missing), ``failed`` (the step failed or a condition could not be evaluated),
    ``done`` (nothing left: completed or handed off).
    """

    kind: str
    step: Step | None = None
    next: str | None = None
    reason: str = ""


def next_move(playbook: Playbook, run: RunState) -> Move:
    """Decide the next move of a run: a pure function of the playbook and the projection."""
    if run.status in ("completed", "handed-off", "not-started") or run.current is None:
        return Move("done")
    step = playbook.step(run.current)
    status = run.steps[run.current]
    assert step is not None
    fresh = status.state in ("ready", "waiting-for-input") and status.decision is None
    if step.when and fresh and status.approval is None:
        try:
            wanted = bool(sandbox.evaluate(step.when, run.variables()))
        except sandbox.ExpressionError as exc:
            return Move("failed", step, reason=f"condition of step '{step.id}': {exc}")
        if not wanted:
            return Move(
                "skip", step, playbook.default_next(step), f"condition is false: {step.when}"
            )
    if status.state == "failed":
        if step.kind in HANDLER_KINDS and not status.reason.startswith("rejected"):
            return Move("run", step, playbook.default_next(step), status.reason)
        return Move("failed", step, reason=status.reason)
    if status.state == "running":
        # Started and never finished: the process died mid-step. Handlers are idempotent.
        return Move("run", step, playbook.default_next(step), "resuming an interrupted step")
    if status.state == "waiting-for-approval":
        return Move("wait", step)
    if step.kind == "decide":
        if status.state == "ready" and status.decision is not None:
            option = step.option(status.decision.option)
            return Move("complete", step, option.next if option else END)
        return Move("input", step, reason=status.reason)
    if step.kind in HANDLER_KINDS:
        if step.approvals is not None and status.approval is None:
            return Move("request-approval", step)
        return Move("run", step, playbook.default_next(step))
    if step.kind == "playbook":
        return Move("handoff", step, END)
    if step.kind == "note" and step.text:
        return Move("note", step, playbook.default_next(step))
    return Move("input", step, playbook.default_next(step))


def option_refusal(step: Step, option_id: str, run: RunState) -> str | None:
    """Why ``option_id`` cannot be chosen now (unknown, or its loop bound is spent)."""
    option = step.option(option_id)
    if option is None:
        known = ", ".join(o.id for o in step.options)
        return f"step '{step.id}' has no option '{option_id}' (options: {known})"
    if option.max_loops is not None and run.taken[(step.id, option.id)] >= option.max_loops:
        return (
            f"option '{option_id}' of step '{step.id}' was already chosen {option.max_loops} "
            "time(s), its limit; choose another option"
        )
    return None


def available_options(step: Step, run: RunState) -> list[str]:
    """The options of a decide step that can still be chosen."""
    return [o.id for o in step.options if option_refusal(step, o.id, run) is None]


def render_instructions(step: Step, variables: Mapping[str, Any]) -> str:
    """The step's instructions with variables filled in (the raw text if rendering fails)."""
    try:
        return sandbox.render(step.instructions, variables)
    except sandbox.ExpressionError:
        return step.instructions
