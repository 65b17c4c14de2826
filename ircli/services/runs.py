"""Running playbooks: start a run, advance it as far as it can go, record decisions.

The engine (:mod:`ircli.playbooks.engine`) says what comes next; this module does
it and writes each transition to the journal before moving on, so any front end —
the TUI, ``ircli run --plain``, ``ircli run --non-interactive`` — drives the same
run and a crash loses nothing. The human side of a step comes from a
:class:`Responder`: an answers file, terminal prompts, or the TUI's forms.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ircli.core.approvals import ApprovalRule, approval_subject
from ircli.core.canonical import canonical_json
from ircli.core.events import Event
from ircli.errors import IrcliError, RefusedError, ValidationError
from ircli.playbooks import sandbox
from ircli.playbooks.engine import (
    Move,
    RunState,
    active_playbook,
    available_options,
    next_move,
    option_refusal,
    project_run,
    render_instructions,
)
from ircli.playbooks.model import END, Option, Playbook, Step
from ircli.services.approvals import request_approval
from ircli.services.forms import coerce_form, form_defaults, missing_fields
from ircli.services.incidents import open_incident, resolve_incident_id
from ircli.services.playbooks import load_playbook
from ircli.services.steps import Progress, StepContext, StepResult, get_handler
from ircli.services.workspace import Workspace

MAX_RATIONALE = 5_000
MAX_MOVES = 2_000


@dataclass(frozen=True)
class DecisionInput:
    """A responder's decision on a decide step."""

    option: str
    rationale: str
    evidence: tuple[str, ...] = ()


class Responder(Protocol):
    """Where the human side of steps comes from. ``None`` means "not now": the run waits.

    ``playbook`` names the playbook the step belongs to (a run can hand over to another
    playbook whose step ids repeat the first one's)."""

    def form(
        self, playbook: str, step: Step, values: dict[str, Any], instructions: str
    ) -> dict[str, Any] | None:
        """Values for a form (``values`` holds the defaults and inputs so far)."""
        ...

    def check(self, playbook: str, step: Step, instructions: str) -> list[str] | None:
        """The ids of the checklist items the responder ticked."""
        ...

    def decide(
        self, playbook: str, step: Step, options: list[Option], visit: int, instructions: str
    ) -> DecisionInput | None:
        """A decision among ``options`` (only those still allowed)."""
        ...

    def note(self, playbook: str, step: Step, instructions: str) -> str | None:
        """The text of a note."""
        ...


class NoResponder:
    """A responder that never answers: automated steps run, human steps wait."""

    def form(
        self, playbook: str, step: Step, values: dict[str, Any], instructions: str
    ) -> dict[str, Any] | None:
        """Never answers."""
        return None

    def check(self, playbook: str, step: Step, instructions: str) -> list[str] | None:
        """Never answers."""
        return None

    def decide(
        self, playbook: str, step: Step, options: list[Option], visit: int, instructions: str
    ) -> DecisionInput | None:
        """Never answers."""
        return None

    def note(self, playbook: str, step: Step, instructions: str) -> str | None:
        """Never answers."""
        return None


@dataclass
class RunOutcome:
    """Where ``advance`` stopped."""

    incident: str
    playbook: str
    status: str
    """completed, waiting-for-input, waiting-for-approval"""
    state: RunState
    waiting: dict[str, Any] | None = None
    moves: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``ircli run --json``)."""
        return {
            "incident": self.incident,
            "playbook": self.playbook,
            "status": self.status,
            "waiting_for": self.waiting,
            "steps": [
                {"id": s.id, "kind": s.kind, "state": s.state, "visit": s.visit, "option": s.option}
                for s in self.state.steps.values()
            ],
        }


# -- starting -----------------------------------------------------------------------------


def start_run(
    ws: Workspace,
    ref: str,
    *,
    incident: str | None = None,
    title: str | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """Start ``ref`` on an incident (a new one when only ``title`` is given), or find the
    run to resume. Returns ``(incident, message)``."""
    playbook = load_playbook(ws, ref)
    inputs = dict(inputs or {})
    source = _explicit_source(ws, ref)
    if incident is None:
        if not title:
            raise ValidationError(
                "say which incident to run on",
                hint="--incident INC-0007, or --title '...' for a new one",
            )
        subjects = inputs.get("seeds", [])
        state = open_incident(
            ws,
            title=title,
            subjects=subjects if isinstance(subjects, list) else [str(subjects)],
            playbook=playbook.name,
        )
        incident = state.id
    else:
        incident = resolve_incident_id(ws, incident)
    events = list(
        ws.store.events(
            incident, types=["playbook.started", "incident.closed", "incident.reopened"]
        )
    )
    active = active_playbook(events)
    if active is None:
        status = [e.type for e in events if e.type != "playbook.started"]
        if status and status[-1] == "incident.closed":
            raise RefusedError(
                f"{incident} is closed", hint="open a new incident to run a playbook"
            )
        payload = _start_payload(playbook, inputs)
        if source:
            payload["source"] = source
        ws.store.append(incident, "playbook.started", payload, ws.actor)
        return incident, f"started {playbook.name} on {incident}"
    if active == playbook.name:
        note = " (--input values are used only when a run starts)" if inputs else ""
        return incident, f"resuming {playbook.name} on {incident}{note}"
    earlier = {str(e.payload.get("playbook")) for e in events if e.type == "playbook.started"}
    if playbook.name in earlier:
        return (
            incident,
            f"{playbook.name} handed {incident} over to {active}: continuing with {active}",
        )
    raise RefusedError(
        f"{incident} is running playbook {active}, not {playbook.name}",
        hint=f"resume it with: ircli run {active} --incident {incident}",
    )


def _explicit_source(ws: Workspace, ref: str) -> str | None:
    """The file of a playbook named by path rather than found on the search path."""
    from ircli.services.playbooks import find_playbook, search_path

    path = find_playbook(ws, ref).resolve()
    if any(path.parent == folder.resolve() for folder in search_path(ws)):
        return None
    return str(path)


def _start_payload(
    playbook: Playbook, inputs: Mapping[str, Any], origin: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "playbook": playbook.name,
        "version": playbook.version,
        "digest": playbook.digest,
        "inputs": dict(inputs),
    }
    if origin:
        payload["from"] = origin
    try:
        canonical_json(payload)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"inputs cannot be recorded: {exc}") from None
    return payload


# -- state ----------------------------------------------------------------------------------


def run_state(ws: Workspace, incident: str) -> tuple[Playbook, RunState]:
    """The incident's active playbook and where its run stands."""
    incident = resolve_incident_id(ws, incident)
    events = list(ws.store.events(incident))
    name = active_playbook(events)
    if name is None:
        raise ValidationError(
            f"{incident} has no playbook run",
            hint=f"start one: ircli run PLAYBOOK --incident {incident}",
        )
    # A run started from a file outside the search path recorded where that file is.
    source = next(
        (
            str(e.payload["source"])
            for e in reversed(events)
            if e.type == "playbook.started"
            and e.payload.get("playbook") == name
            and e.payload.get("source")
        ),
        None,
    )
    playbook = load_playbook(ws, source or name)
    return playbook, project_run(playbook, incident, events)


# -- advancing --------------------------------------------------------------------------------


def advance(
    ws: Workspace,
    incident: str,
    responder: Responder | None = None,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Run every step that can run now; stop at the end or at the first step that waits."""
    incident = resolve_incident_id(ws, incident)
    responder = responder or NoResponder()
    cancel = cancel or threading.Event()
    moves: list[str] = []
    for _ in range(MAX_MOVES):
        if cancel.is_set():
            raise IrcliError(
                "the run was cancelled", hint="run it again to resume where it stopped"
            )
        playbook, run = run_state(ws, incident)
        move = next_move(playbook, run)
        moves.append(f"{move.kind}:{move.step.id if move.step else ''}")
        if move.kind == "done":
            return RunOutcome(incident, playbook.name, "completed", run, None, moves)
        if move.kind == "wait":
            assert move.step is not None
            return _waiting(playbook, run, move.step, "waiting-for-approval", moves)
        if move.kind == "failed":
            raise _failure(incident, move)
        if move.kind == "input":
            assert move.step is not None
            if not _ask(ws, playbook, run, move, responder):
                return _waiting(playbook, run, move.step, "waiting-for-input", moves)
            continue
        _DO[move.kind](ws, playbook, run, move, progress, cancel)
    raise IrcliError(f"{incident}: the run made {MAX_MOVES} moves without stopping (a bug)")


def _failure(incident: str, move: Move) -> IrcliError:
    step = move.step.id if move.step else "?"
    if move.reason.startswith("rejected"):
        return RefusedError(
            f"{incident}: step '{step}' was {move.reason}",
            hint="discuss with the approvers; the playbook cannot continue past a rejected action",
        )
    return ValidationError(f"{incident}: step '{step}' cannot run: {move.reason}")


def _append(ws: Workspace, run: RunState, items: list[tuple[str, dict[str, Any]]]) -> bool:
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
    _append(ws, run, [("step.skipped", payload), *_leave(playbook, move.step, move.next)])


def _complete_items(
    playbook: Playbook,
    run: RunState,
    step: Step,
    nxt: str,
    outputs: dict[str, Any],
    option: str | None = None,
) -> list[tuple[str, dict[str, Any]]]:
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
    _append(ws, run, _complete_items(playbook, run, move.step, move.next, outputs, decision.option))


def _write_note(ws: Workspace, playbook: Playbook, run: RunState, move: Move, *_: Any) -> None:
    assert move.step is not None and move.next is not None and move.step.text is not None
    try:
        text = sandbox.render(move.step.text, run.variables()).strip()
    except sandbox.ExpressionError as exc:
        raise ValidationError(f"step '{move.step.id}': {exc}") from None
    _append(
        ws,
        run,
        [
            ("note.added", {"text": text or move.step.title, "step": move.step.id}),
            *_complete_items(playbook, run, move.step, move.next, {"text": text}),
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
    _append(
        ws,
        run,
        [
            ("step.completed", {**base, "outputs": {"playbook": target.name}, "next": END}),
            ("playbook.handoff", {**base, "to": target.name, "inputs": inputs}),
            ("playbook.started", _start_payload(target, inputs, origin=playbook.name)),
        ],
    )


def _context(
    ws: Workspace, run: RunState, step: Step, progress: Progress | None, cancel: threading.Event
) -> StepContext:
    variables = run.variables()
    try:
        params = sandbox.render_value(step.params, variables)
    except sandbox.ExpressionError as exc:
        raise ValidationError(f"step '{step.id}': {exc}") from None
    ctx = StepContext(ws, run.incident, step, run.visit, params, variables, cancel=cancel)
    if progress is not None:
        ctx.progress = progress
    return ctx


def _subject(playbook: Playbook, run: RunState, ctx: StepContext) -> tuple[str, str]:
    """What approvers of a handler step approve: its preview (or parameters), hashed."""
    step = ctx.step
    handler = get_handler(step.uses or "")
    preview = getattr(handler, "preview", None)
    shown = preview(ctx) if callable(preview) else {"params": ctx.params}
    value = {"playbook": playbook.name, "step": step.id, "visit": run.visit, "preview": shown}
    summary = f"{step.title} ({step.uses})"
    return approval_subject(value), summary


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
    ctx = _context(ws, run, step, progress, cancel)
    subject, summary = _subject(playbook, run, ctx)
    rule = ApprovalRule(step.approvals.required, step.approvals.allowed)
    request_approval(
        ws,
        run.incident,
        step.id,
        subject,
        rule,
        summary,
        extra={"playbook": playbook.name, "visit": run.visit},
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
    ctx = _context(ws, run, step, progress, cancel)
    handler = get_handler(step.uses or "")
    approval = run.steps[step.id].approval
    if step.approvals is not None and approval is not None:
        subject, _ = _subject(playbook, run, ctx)
        if subject != approval.subject:
            # What would be done changed since it was approved: ask again.
            _request(ws, playbook, run, move, progress, cancel)
            return
    base = {"playbook": playbook.name, "step": step.id, "visit": run.visit}
    if run.steps[step.id].state != "running":
        if not _append(ws, run, [("step.started", base)]):
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
        run.incident, _complete_items(playbook, run, step, move.next, outputs), ws.actor
    )


_DO = {
    "skip": _skip,
    "complete": _complete_decision,
    "note": _write_note,
    "handoff": _handoff,
    "request-approval": _request,
    "run": _run_handler,
}


# -- the human side ------------------------------------------------------------------------


def _ask(
    ws: Workspace, playbook: Playbook, run: RunState, move: Move, responder: Responder
) -> bool:
    """Ask the responder for the current step; ``False`` when it has no answer."""
    step = move.step
    assert step is not None
    variables = run.variables()
    instructions = render_instructions(step, variables)
    nxt = move.next or playbook.default_next(step)
    if step.kind == "form":
        values = form_defaults(step, run.inputs)
        answer = responder.form(playbook.name, step, dict(values), instructions)
        if answer is None:
            return False
        clean = coerce_form(step, {**values, **answer})
        items = _complete_items(playbook, run, step, nxt, clean)
        for fld in step.fields:
            if fld.type == "accounts" and clean.get(fld.name):
                items.insert(0, ("subjects.added", {"accounts": clean[fld.name], "step": step.id}))
        changes = {k: clean[k] for k in ("severity", "tlp") if isinstance(clean.get(k), str)}
        if run.info is not None:
            changes = {k: v for k, v in changes.items() if getattr(run.info, k) != v}
        if changes:
            items.insert(0, ("incident.updated", changes))
        if step.closes_incident and (run.info is None or run.info.status == "open"):
            items.insert(0, ("incident.closed", {"summary": clean["summary"], "step": step.id}))
        _append(ws, run, items)
        return True
    if step.kind == "check":
        ticked = responder.check(playbook.name, step, instructions)
        if ticked is None:
            return False
        known = [i.id for i in step.items]
        unknown = [t for t in ticked if t not in known]
        if unknown:
            raise ValidationError(
                f"step '{step.id}': no checklist item {unknown[0]!r} (items: {', '.join(known)})"
            )
        if set(known) - set(ticked):
            return False
        _append(ws, run, _complete_items(playbook, run, step, nxt, {"ticked": known}))
        return True
    if step.kind == "decide":
        allowed = [o for o in step.options if o.id in available_options(step, run)]
        choice = responder.decide(playbook.name, step, allowed, run.visit, instructions)
        if choice is None:
            return False
        record_decision(ws, run.incident, step.id, choice.option, choice.rationale, choice.evidence)
        return True
    if step.kind == "note":
        text = responder.note(playbook.name, step, instructions)
        if text is None:
            return False
        text = text.strip()
        if not text:
            raise ValidationError(f"step '{step.id}': the note is empty")
        _append(
            ws,
            run,
            [
                ("note.added", {"text": text, "step": step.id}),
                *_complete_items(playbook, run, step, nxt, {"text": text}),
            ],
        )
        return True
    return False


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
    subject = approval_subject(decided)
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
                },
            )
        )
    else:
        outputs = {"option": option, "rationale": rationale, "evidence": evidence_ids}
        items.extend(_complete_items(playbook, run, step, chosen.next, outputs, option))
    ws.store.append_many(run.incident, items, ws.actor, expected_seq=run.head_seq)
    return run_state(ws, run.incident)[1]


# -- waiting records ------------------------------------------------------------------------


def _waiting(
    playbook: Playbook, run: RunState, step: Step, status: str, moves: list[str]
) -> RunOutcome:
    return RunOutcome(
        run.incident, playbook.name, status, run, waiting_record(playbook, run, step), moves
    )


def waiting_record(playbook: Playbook, run: RunState, step: Step) -> dict[str, Any]:
    """What a stopped run waits for, machine-readable."""
    st = run.steps[step.id]
    record: dict[str, Any] = {
        "incident": run.incident,
        "playbook": playbook.name,
        "step": step.id,
        "kind": step.kind,
        "title": step.title,
        "state": st.state,
        "visit": st.visit,
        "instructions": render_instructions(step, run.variables()),
    }
    if st.reason:
        record["reason"] = st.reason
    if st.state == "waiting-for-approval":
        approval = st.approval
        record["approval"] = (
            approval.to_dict()
            if approval
            else {"required": step.approvals.required if step.approvals else 1}
        )
        record["approve_with"] = f"ircli --as NAME approve {run.incident} {step.id}"
        if st.decision:
            record["decision"] = st.decision.to_dict()
    elif step.kind == "form":
        values = form_defaults(step, run.inputs)
        record["fields"] = [f.to_dict() for f in step.fields]
        record["missing"] = missing_fields(step, values)
    elif step.kind == "check":
        record["items"] = [{"id": i.id, "text": i.text} for i in step.items]
    elif step.kind == "decide":
        allowed = available_options(step, run)
        record["options"] = [o.to_dict() for o in step.options if o.id in allowed]
        record["decide_with"] = (
            f"ircli decide {run.incident} {step.id} --option OPTION --rationale TEXT"
        )
    return record


def decision_events(ws: Workspace, incident: str) -> list[Event]:
    """Every decision recorded on the incident, oldest first."""
    incident = resolve_incident_id(ws, incident)
    return list(ws.store.events(incident, types=["decision.recorded"]))
