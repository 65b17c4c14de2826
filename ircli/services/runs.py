"""Running playbooks: start a run and advance it as far as it can go.

The engine (:mod:`ircli.playbooks.engine`) says what comes next; the moves in
:mod:`ircli.services.transitions` do it, each writing its transition to the journal
before the next, so any front end — the TUI, ``ircli run --plain``, ``ircli run
--non-interactive`` — drives the same run and a crash loses nothing. The human side
of a step comes from a :class:`~ircli.services.responders.Responder`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ircli.errors import IrcliError, RefusedError, ValidationError
from ircli.playbooks.engine import (
    Move,
    RunState,
    active_playbook,
    available_options,
    next_move,
    render_instructions,
)
from ircli.playbooks.forms import coerce_form, form_defaults, missing_fields
from ircli.playbooks.model import Playbook, Step
from ircli.services.decisions import record_decision
from ircli.services.incidents import open_incident, resolve_incident_id
from ircli.services.playbooks import load_playbook
from ircli.services.responders import DecisionInput, NoResponder, Responder
from ircli.services.runlock import run_lock
from ircli.services.runstate import run_state, start_payload
from ircli.services.steps import Progress
from ircli.services.transitions import MOVES, append_transition, completion_events
from ircli.services.workspace import Workspace

__all__ = [
    "DecisionInput",
    "NoResponder",
    "Responder",
    "RunOutcome",
    "advance",
    "record_decision",
    "run_state",
    "start_run",
    "waiting_record",
]

MAX_MOVES = 2_000


@dataclass
class RunOutcome:
    """Where ``advance`` stopped."""

    incident: str
    playbook: str
    status: str
    """completed, waiting-for-input, waiting-for-approval, waiting-for-confirmation"""
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
    """Start ``ref`` on an incident (a new one, titled ``title`` or after the playbook,
    when no ``incident`` is given), or find the run to resume. Returns
    ``(incident, message)``."""
    playbook = load_playbook(ws, ref)
    inputs = dict(inputs or {})
    source = _explicit_source(ws, ref)
    if incident is None:
        # Automation often just says `ircli run distillation --input seeds=...`: a new
        # incident named after the playbook.
        title = title or playbook.title
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
        payload = start_payload(playbook, inputs)
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


# -- advancing --------------------------------------------------------------------------------


def advance(
    ws: Workspace,
    incident: str,
    responder: Responder | None = None,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    confirm: Callable[[Step], bool] | None = None,
) -> RunOutcome:
    """Run every step that can run now; stop at the end or at the first step that waits.

    ``confirm`` (interactive front ends) is asked before an ``action`` step's handler
    runs; when it says no, the run stops with status ``waiting-for-confirmation`` and
    nothing of the step is written. Only one process advances an incident's run at a
    time (:func:`run_lock`).
    """
    incident = resolve_incident_id(ws, incident)
    with run_lock(ws, incident):
        return _advance(
            ws,
            incident,
            responder or NoResponder(),
            progress,
            cancel or threading.Event(),
            confirm,
        )


def _advance(
    ws: Workspace,
    incident: str,
    responder: Responder,
    progress: Progress | None,
    cancel: threading.Event,
    confirm: Callable[[Step], bool] | None = None,
) -> RunOutcome:
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
        if (
            confirm is not None
            and move.kind == "run"
            and move.step is not None
            and move.step.kind == "action"
            and not confirm(move.step)
        ):
            return _waiting(playbook, run, move.step, "waiting-for-confirmation", moves)
        MOVES[move.kind](ws, playbook, run, move, progress, cancel)
    raise IrcliError(f"{incident}: the run made {MAX_MOVES} moves without stopping (a bug)")


def _failure(incident: str, move: Move) -> IrcliError:
    step = move.step.id if move.step else "?"
    if move.reason.startswith("rejected"):
        return RefusedError(
            f"{incident}: step '{step}' was {move.reason}",
            hint="discuss with the approvers; the playbook cannot continue past a rejected action",
        )
    return ValidationError(f"{incident}: step '{step}' cannot run: {move.reason}")


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
        items = completion_events(playbook, run, step, nxt, clean)
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
        append_transition(ws, run, items)
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
        append_transition(ws, run, completion_events(playbook, run, step, nxt, {"ticked": known}))
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
        append_transition(
            ws,
            run,
            [
                ("note.added", {"text": text, "step": step.id}),
                *completion_events(playbook, run, step, nxt, {"text": text}),
            ],
        )
        return True
    return False


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
