"""The step a responder is on, as an interactive front end shows it, and walking a run
one answer at a time.

The TUI's step card reads :func:`current_step` and drives the run with :func:`walk`,
which calls the same :func:`~ircli.services.runs.advance` as ``ircli run``: an
answer typed into a form is given to the runner exactly as an answers file would give
it, so an interactive run writes the same journal as an automated one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ircli.core.text import inert
from ircli.playbooks.engine import RunState, available_options, render_instructions
from ircli.playbooks.forms import form_defaults
from ircli.playbooks.model import Option, Step
from ircli.services.responders import DecisionInput
from ircli.services.runs import RunOutcome, advance
from ircli.services.runstate import run_state
from ircli.services.steps import Progress
from ircli.services.workspace import Workspace

MAX_EXCLUSIONS = 200
"""Excluded accounts listed in a preview (the count is always complete)."""

_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|<>~&:")


def markdown_text(value: object) -> str:
    """``value`` as inert text that Markdown shows literally: no links, emphasis, HTML."""
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in inert(value))


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return markdown_text(value)
    if isinstance(value, Mapping):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


@dataclass(frozen=True)
class StepInput:
    """One field of a form step."""

    name: str
    label: str
    type: str
    required: bool
    default: str
    help: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApprovalView:
    """Where the approvals of the current step stand."""

    required: int
    granted_by: tuple[str, ...]
    rejected_by: tuple[str, ...]
    requester: str
    satisfied: bool

    @property
    def missing(self) -> int:
        """Approvals still needed."""
        return max(self.required - len(self.granted_by), 0)


@dataclass(frozen=True)
class PreviewView:
    """A destructive step's dry run, in words: what it would do and to how many."""

    headline: str
    count: int | None
    facts: tuple[tuple[str, str], ...] = ()
    exclusions: tuple[tuple[str, str], ...] = ()
    excluded: int = 0


@dataclass(frozen=True)
class CurrentStep:
    """The step a responder is on and what it needs from them.

    ``needs``: ``input`` (a form, checklist, decision or note), ``approval`` (other
    responders must approve), ``confirm`` (a destructive step, approved, to be confirmed
    and run), ``run`` (automated work to start), ``failed`` (cannot go on), ``done``.
    """

    incident: str
    playbook: str
    run_status: str
    id: str
    kind: str
    title: str
    state: str
    needs: str
    position: int
    total: int
    visit: int = 0
    instructions: str = ""
    """Markdown from the playbook; every value from the journal in it is escaped."""
    reason: str = ""
    inputs: tuple[StepInput, ...] = ()
    items: tuple[tuple[str, str], ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    approval: ApprovalView | None = None
    preview: PreviewView | None = None
    decision: dict[str, Any] | None = None
    results: tuple[tuple[str, str], ...] = ()
    """The latest results of earlier steps, newest first: (step title, summary)."""
    destructive: bool = False


def current_step(ws: Workspace, incident: str) -> CurrentStep | None:
    """The incident's current step; ``None`` when it runs no playbook."""
    if next(ws.store.events(incident, types=["playbook.started"]), None) is None:
        return None
    playbook, run = run_state(ws, incident)
    order = [s.id for s in playbook.steps]
    results = _results(playbook.steps, run)
    if run.current is None:
        return CurrentStep(
            incident=run.incident,
            playbook=playbook.name,
            run_status=run.status,
            id="",
            kind="",
            title="Playbook completed" if run.status == "completed" else "Playbook handed over",
            state=run.status,
            needs="done",
            position=len(order),
            total=len(order),
            results=results,
        )
    step = playbook.step(run.current)
    status = run.steps[run.current]
    assert step is not None
    variables = run.variables()
    approval = None
    if status.approval is not None:
        a = status.approval
        approval = ApprovalView(
            a.required,
            tuple(a.granted_by),
            tuple(a.rejected_by),
            _requester(ws, run.incident, step.id) or "",
            a.satisfied,
        )
    return CurrentStep(
        incident=run.incident,
        playbook=playbook.name,
        run_status=run.status,
        id=step.id,
        kind=step.kind,
        title=step.title,
        state=status.state,
        needs=_needs(step, status.state, status.reason, approval),
        position=order.index(step.id) + 1,
        total=len(order),
        visit=status.visit,
        instructions=render_instructions(step, _escaped(variables)),
        reason=status.reason,
        inputs=_inputs(step, run),
        items=tuple((i.id, i.text) for i in step.items),
        options=_options(step, run),
        approval=approval,
        preview=_preview_of(ws, run.incident, step.id, status.visit),
        decision=status.decision.to_dict() if status.decision else None,
        results=results,
        destructive=step.kind == "action",
    )


def _needs(step: Step, state: str, reason: str, approval: ApprovalView | None) -> str:
    if state == "waiting-for-input":
        return "input"
    if state == "waiting-for-approval":
        return "approval"
    if state == "failed" and (reason.startswith("rejected") or step.kind not in _HANDLERS):
        return "failed"
    if step.kind == "action" and (step.approvals is None or approval is not None):
        return "confirm"
    return "run"


_HANDLERS = ("collect", "analyze", "action", "export")


def _inputs(step: Step, run: RunState) -> tuple[StepInput, ...]:
    if step.kind != "form":
        return ()
    values = form_defaults(step, run.inputs)
    out = []
    for f in step.fields:
        value = values.get(f.name, f.default)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        out.append(
            StepInput(
                f.name,
                f.label,
                f.type,
                f.required,
                "" if value is None else str(value),
                f.help,
                tuple(f.choices),
            )
        )
    return tuple(out)


def _options(step: Step, run: RunState) -> tuple[tuple[str, str], ...]:
    if step.kind != "decide":
        return ()
    allowed = available_options(step, run)
    return tuple((o.id, o.label) for o in step.options if o.id in allowed)


def _results(steps: tuple[Step, ...], run: RunState) -> tuple[tuple[str, str], ...]:
    titles = {s.id: s.title for s in steps}
    out: list[tuple[str, str]] = []
    for entry in reversed(run.history):
        if entry["event"] != "completed":
            continue
        outputs = entry.get("outputs") or {}
        summary = outputs.get("summary") or (
            f"option: {entry['option']}" if entry.get("option") else "done"
        )
        out.append((titles.get(entry["step"], entry["step"]), str(summary)))
        if len(out) == 5:
            break
    return tuple(out)


def _request(ws: Workspace, incident: str, step: str, visit: int) -> dict[str, Any] | None:
    found = None
    for event in ws.store.events(incident, types=["approval.requested"]):
        p = event.payload
        if p.get("step") == step and p.get("visit", visit) == visit:
            found = {**p, "_actor": event.actor}
    return found


def _requester(ws: Workspace, incident: str, step: str) -> str | None:
    found = None
    for event in ws.store.events(incident, types=["approval.requested"]):
        if event.payload.get("step") == step:
            found = event.actor
    return found


def _preview_of(ws: Workspace, incident: str, step: str, visit: int) -> PreviewView | None:
    request = _request(ws, incident, step, visit)
    if request is None:
        return None
    details = request.get("details") or {}
    preview = details.get("preview") if isinstance(details, Mapping) else None
    return preview_view(preview) if isinstance(preview, Mapping) else None


def preview_view(preview: Mapping[str, Any]) -> PreviewView:
    """A handler's preview (termination targets, a Forum report's bundles) in words."""
    if isinstance(preview.get("targets"), list):
        targets = preview["targets"]
        excluded = [e for e in preview.get("excluded") or [] if isinstance(e, Mapping)]
        summary = preview.get("summary") if isinstance(preview.get("summary"), Mapping) else {}
        facts = [("Targets", f"{len(targets):,} account(s)")]
        reasons = (summary or {}).get("exclusion_reasons") or {}
        for reason, count in sorted(reasons.items()):
            facts.append(("Excluded", f"{count:,} — {reason}"))
        if summary and summary.get("over_ceiling"):
            facts.append(("Ceiling", f"over the ceiling of {summary.get('ceiling')}"))
        if preview.get("preview_hash"):
            facts.append(("Preview", f"{str(preview['preview_hash'])[:16]}…"))
        return PreviewView(
            headline=f"Terminate {len(targets):,} account(s)",
            count=len(targets),
            facts=tuple(facts),
            exclusions=tuple(
                (str(e.get("account", e.get("account_id", "?"))), str(e.get("reason", "")))
                for e in excluded[:MAX_EXCLUSIONS]
            ),
            excluded=len(excluded),
        )
    if isinstance(preview.get("objects"), Mapping):
        objects = {str(k): v for k, v in preview["objects"].items()}
        total = sum(v for v in objects.values() if isinstance(v, int))
        facts = [(name, f"{count} object(s)") for name, count in sorted(objects.items())]
        facts.append(("TLP", str(preview.get("tlp", ""))))
        facts.append(("Confirmed", "yes" if preview.get("confirmed") else "no"))
        if preview.get("refusal"):
            facts.append(("Refused", str(preview["refusal"])))
        if preview.get("subject"):
            facts.append(("Bundle", f"{str(preview['subject'])[:16]}…"))
        return PreviewView(
            headline=f"Submit the Forum report ({total} STIX object(s))",
            count=total,
            facts=tuple(facts),
        )
    shown = tuple((str(k), str(v)[:200]) for k, v in preview.items())
    return PreviewView(headline="Run this action", count=None, facts=shown)


def action_preview(ws: Workspace, incident: str) -> PreviewView | None:
    """The dry run of the current action step, computed now (for steps without approvals,
    whose preview was never recorded with a request)."""
    from ircli.services.steps import get_handler
    from ircli.services.transitions import step_context

    playbook, run = run_state(ws, incident)
    step = playbook.step(run.current) if run.current else None
    if step is None or step.kind != "action":
        return None
    recorded = _preview_of(ws, run.incident, step.id, run.visit)
    if recorded is not None:
        return recorded
    handler = get_handler(step.uses or "")
    preview = getattr(handler, "preview", None)
    if not callable(preview):
        return PreviewView(headline=f"Run {step.uses}", count=None)
    shown = preview(step_context(ws, run, step, None, threading.Event()))
    return preview_view(shown) if isinstance(shown, Mapping) else None


# -- walking the run -------------------------------------------------------------------------


@dataclass
class StepAnswer:
    """A responder's answer to one step, typed into a front end: a form's values, a
    checklist's ticks, a decision or a note. It answers that step once; every other
    step gets no answer, so the run stops there."""

    step: str
    values: dict[str, Any] | None = None
    ticked: list[str] | None = None
    decision: DecisionInput | None = None
    text: str | None = None
    used: bool = field(default=False, init=False)

    def _take(self, step: Step) -> bool:
        if self.used or step.id != self.step:
            return False
        self.used = True
        return True

    def form(
        self, playbook: str, step: Step, values: dict[str, Any], instructions: str
    ) -> dict[str, Any] | None:
        """The typed values for this form."""
        return dict(self.values or {}) if self._take(step) else None

    def check(self, playbook: str, step: Step, instructions: str) -> list[str] | None:
        """The ticked items of this checklist."""
        return list(self.ticked or []) if self._take(step) else None

    def decide(
        self, playbook: str, step: Step, options: list[Option], visit: int, instructions: str
    ) -> DecisionInput | None:
        """The decision on this step."""
        return self.decision if self._take(step) else None

    def note(self, playbook: str, step: Step, instructions: str) -> str | None:
        """The note's text."""
        return self.text if self._take(step) else None


def walk(
    ws: Workspace,
    incident: str,
    answer: StepAnswer | None = None,
    *,
    confirmed: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Advance the run as far as it goes with ``answer`` for the step that waits, running
    the destructive step ``confirmed`` (once) and stopping before any other."""
    left = {confirmed} if confirmed else set()

    def confirm(step: Step) -> bool:
        if step.id in left:
            left.discard(step.id)
            return True
        return False

    return advance(
        ws,
        incident,
        answer or StepAnswer(step=""),
        progress=progress,
        cancel=cancel,
        confirm=confirm,
    )
