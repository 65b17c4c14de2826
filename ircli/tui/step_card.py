"""The current step's card in the incident workspace: instructions, inputs, Run,
progress and results — the responder walks the playbook from here.

The card reads the step with :func:`~ircli.services.current_step.current_step` and moves
the run with :func:`~ircli.services.current_step.walk` (the runner ``ircli run`` uses),
both in thread workers. A run can be cancelled (``app.cancel``); failures reach the
app's one worker-error handler and show as a one-line notification.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static
from textual.worker import Worker

from ircli.tui.messages import PlaybooksListed
from ircli.tui.plain import plain
from ircli.tui.step_view import details, head, run_label, status_line, waiting_line

if TYPE_CHECKING:
    # Not at run time: the playbook engine (Jinja2, YAML) would slow the first frame.
    from ircli.services.current_step import CurrentStep, PreviewView, StepAnswer
    from ircli.tui.app import IrcliApp


@dataclass
class StepLoaded(Message):
    """The current step was read (``None``: the incident runs no playbook)."""

    incident: str
    step: CurrentStep | None


@dataclass
class StepProgress(Message):
    """Progress of the running step."""

    fraction: float | None
    text: str

    def can_replace(self, message: Message) -> bool:
        # Only the latest progress matters: a burst of updates repaints once.
        return isinstance(message, StepProgress)


@dataclass
class RunStopped(Message):
    """The run stopped: completed, or waiting for something."""

    status: str
    step: str


@dataclass
class PreviewReady(Message):
    """A destructive step's dry run, computed for its confirmation."""

    step: CurrentStep
    preview: PreviewView | None


@dataclass
class Approved(Message):
    """This responder's approval was recorded."""

    step: str
    missing: int


class StepCard(VerticalScroll):
    """The step the responder is on, and the one button that moves it."""

    app: IrcliApp

    def __init__(self, incident: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.incident_id = incident
        self.step: CurrentStep | None = None
        self.loaded = False
        self._cancel: threading.Event | None = None
        self.running = False

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        yield Static("", id="step-head")
        yield Static("", id="step-status")
        yield Markdown("", id="step-instructions")
        yield Static("", id="step-details")
        with Horizontal(id="step-progress"):
            yield ProgressBar(total=100, show_eta=False, id="step-bar")
            yield Static("", id="step-progress-text")
        with Horizontal(id="step-buttons"):
            yield Button("Run (ctrl+r)", id="step-run", variant="primary", compact=True)
            yield Button("Approve (a)", id="step-approve", compact=True)

    def on_mount(self) -> None:
        self.display = False
        self.query_one("#step-progress").display = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker events do not bubble: hand ours to the app's one error handler.
        self.app.on_worker_state_changed(event)

    # -- reading -------------------------------------------------------------------

    @work(thread=True, group="step", exclusive=True, exit_on_error=False)
    def reload(self) -> None:
        """Read the current step again (after the journal changed)."""
        from ircli.services.current_step import current_step

        with self.app.thread_workspace() as ws:
            step = current_step(ws, self.incident_id)
        self.post_message(StepLoaded(self.incident_id, step))

    async def on_step_loaded(self, message: StepLoaded) -> None:
        before, self.step, self.loaded = self.step, message.step, True
        step = message.step
        self.display = step is not None
        if step is None:
            return
        if (
            before is not None
            and before.id == step.id
            and before.needs == "approval"
            and step.needs in ("confirm", "run")
        ):
            by = ", ".join(step.approval.granted_by) if step.approval else ""
            self.app.notify(
                plain(f"'{step.title}' approved by {by}: press ctrl+r to continue").plain,
                title="Approved",
                markup=False,
            )
        self.query_one("#step-head", Static).update(head(step))
        status = self.query_one("#step-status", Static)
        status.update(status_line(step))
        status.display = step.needs in ("approval", "failed") or bool(step.reason)
        from textual.widgets import Markdown

        await self.query_one("#step-instructions", Markdown).update(step.instructions)
        self.query_one("#step-details", Static).update(details(step))
        self.query_one("#step-run", Button).display = step.needs not in ("approval", "done")
        self.query_one("#step-run", Button).label = run_label(step)
        mine = step.approval is not None and step.approval.requester == self.app.template.actor
        self.query_one("#step-approve", Button).display = step.needs == "approval" and not mine

    # -- moving the run -------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "step-run":
            self.act()
        elif event.button.id == "step-approve":
            self.approve()

    def act(self) -> None:
        """Do what the current step needs: open its form, confirm it, or run it."""
        from ircli.tui import step_dialogs as dialogs

        step = self.step
        if self.running:
            self.app.notify("The step is already running (ctrl+x cancels it)", markup=False)
            return
        if not self.loaded:
            return
        if step is None:
            self._list_playbooks()
            return
        if step.needs == "input":
            if step.kind == "form":
                self.app.push_screen(dialogs.StepFormDialog(step), self._answered(step, "values"))
            elif step.kind == "check":
                self.app.push_screen(dialogs.ChecklistDialog(step), self._answered(step, "ticked"))
            elif step.kind == "decide":
                self.decide()
            elif step.kind == "note":
                self.app.push_screen(dialogs.StepNoteDialog(step), self._answered(step, "text"))
        elif step.needs == "approval":
            self.app.notify(waiting_line(step), title="Waiting", markup=False)
        elif step.needs == "confirm":
            if step.preview is not None:
                self.post_message(PreviewReady(step, step.preview))
            else:
                self._preview(step)
        elif step.needs == "run":
            self.walk()
        elif step.needs == "failed":
            self.app.notify(
                plain(f"'{step.title}' cannot go on: {step.reason}").plain,
                title="Failed",
                severity="error",
                markup=False,
            )
        else:
            self.app.notify(f"{self.incident_id}: the playbook is completed", markup=False)

    def decide(self) -> None:
        """Open the decision dialog of a decide step."""
        from ircli.tui.step_dialogs import DecideDialog

        step = self.step
        if step is None or step.kind != "decide" or step.needs != "input":
            self.app.notify("The current step is not a decision", markup=False)
            return
        self.app.push_screen(DecideDialog(step), self._answered(step, "decision"))

    def approve(self) -> None:
        """Approve the current step's request (someone else's)."""
        from ircli.tui.step_dialogs import ApproveDialog

        step = self.step
        if step is None or step.needs != "approval":
            self.app.notify("Nothing on this incident waits for approval", markup=False)
            return

        def done(comment: str | None) -> None:
            if comment is not None:
                self._approve(step.id, comment)

        self.app.push_screen(ApproveDialog(step), done)

    def _answered(self, step: CurrentStep, kind: str) -> Any:
        def done(value: Any) -> None:
            from ircli.services.current_step import StepAnswer
            from ircli.services.responders import DecisionInput

            if value is None:
                return
            answer = StepAnswer(step=step.id)
            if kind == "decision":
                assert isinstance(value, DecisionInput)
                answer.decision = value
            else:
                setattr(answer, kind, value)
            self.walk(answer)

        return done

    def on_preview_ready(self, message: PreviewReady) -> None:
        from ircli.tui.step_dialogs import ConfirmActionDialog

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.walk(confirmed=message.step.id)
            else:
                self.app.notify("Not confirmed: nothing was done", markup=False)

        self.app.push_screen(ConfirmActionDialog(message.step, message.preview), done)

    def walk(self, answer: StepAnswer | None = None, *, confirmed: str | None = None) -> None:
        """Advance the run in a worker with this answer (or confirmation)."""
        self.running = True
        self._cancel = threading.Event()
        self._show_progress(None, "starting…")
        self._walk(answer, confirmed, self._cancel)

    @work(thread=True, group="run", exclusive=True, exit_on_error=False)
    def _walk(
        self, answer: StepAnswer | None, confirmed: str | None, cancel: threading.Event
    ) -> None:
        from ircli.services.current_step import walk

        def progress(fraction: float | None, text: str) -> None:
            self.post_message(StepProgress(fraction, text))

        try:
            with self.app.thread_workspace() as ws:
                outcome = walk(
                    ws,
                    self.incident_id,
                    answer,
                    confirmed=confirmed,
                    progress=progress,
                    cancel=cancel,
                )
        except BaseException:
            # The app's worker-error handler tells the responder; the card only re-reads.
            self.post_message(RunStopped("stopped", ""))
            raise
        waiting = outcome.waiting or {}
        self.post_message(RunStopped(outcome.status, str(waiting.get("step", ""))))

    def cancel(self) -> bool:
        """Stop the running step between records or targets; ``False`` if none runs."""
        if not self.running or self._cancel is None:
            return False
        self._cancel.set()
        return True

    def on_step_progress(self, message: StepProgress) -> None:
        if self.running:
            self._show_progress(message.fraction, message.text)

    def on_run_stopped(self, message: RunStopped) -> None:
        self.running = False
        self.query_one("#step-progress").display = False
        if message.status == "stopped":
            self.reload()
            return
        if message.status == "completed":
            self.app.notify(f"{self.incident_id}: playbook completed", markup=False)
        elif message.status == "waiting-for-approval":
            self.app.notify(
                plain(
                    f"'{message.step}' waits for approval by a second responder: "
                    f"ircli --as NAME approve {self.incident_id} {message.step}"
                ).plain,
                title="Waiting for approval",
                markup=False,
            )
        self.reload()

    def _show_progress(self, fraction: float | None, text: str) -> None:
        self.query_one("#step-progress").display = True
        bar = self.query_one(ProgressBar)
        bar.update(total=None if fraction is None else 100, progress=(fraction or 0) * 100)
        self.query_one("#step-progress-text", Static).update(
            plain(f"{text} · ctrl+x cancels", limit=200)
        )

    # -- workers for the dialogs ------------------------------------------------------

    @work(thread=True, group="step-preview", exclusive=True, exit_on_error=False)
    def _preview(self, step: CurrentStep) -> None:
        from ircli.services.current_step import action_preview

        with self.app.thread_workspace() as ws:
            preview = action_preview(ws, self.incident_id)
        self.post_message(PreviewReady(step, preview))

    @work(thread=True, group="step-approve", exclusive=True, exit_on_error=False)
    def _approve(self, step: str, comment: str) -> None:
        from ircli.services.approvals import approve

        with self.app.thread_workspace() as ws:
            state = approve(ws, self.incident_id, step, comment)
        self.post_message(Approved(step, max(state.required - len(state.granted_by), 0)))

    def on_approved(self, message: Approved) -> None:
        more = f"; {message.missing} more needed" if message.missing else ""
        self.app.notify(f"Approved '{message.step}'{more}", markup=False)
        self.reload()

    def _list_playbooks(self) -> None:
        self.app.list_playbooks(self)

    def on_playbooks_listed(self, message: PlaybooksListed) -> None:
        from ircli.tui.step_dialogs import StartPlaybookDialog

        def done(name: str | None) -> None:
            if name:
                self._start(name)

        self.app.push_screen(StartPlaybookDialog(message.playbooks), done)

    def start(self) -> None:
        """Start a playbook on an incident that runs none."""
        if self.step is not None:
            self.app.notify(
                f"{self.incident_id} already runs playbook {self.step.playbook}", markup=False
            )
            return
        self._list_playbooks()

    @work(thread=True, group="run", exclusive=True, exit_on_error=False)
    def _start(self, name: str) -> None:
        from ircli.services.runs import start_run

        with self.app.thread_workspace() as ws:
            _, said = start_run(ws, name, incident=self.incident_id)
        self.app.call_from_thread(self.app.notify, said, markup=False)
        self.post_message(RunStopped("started", ""))


class StepActions:
    """The incident screen's step actions (``incident.run``, ``incident.decide``,
    ``incident.approve``, ``incident.start``): each hands over to the step card."""

    def _card(self) -> StepCard:
        return self.query_one(StepCard)  # type: ignore[attr-defined,no-any-return]

    def action_run_step(self) -> None:
        """Do what the current step needs: answer it, confirm it or run it."""
        self._card().act()

    def action_decide(self) -> None:
        """Record the decision of the current decide step."""
        self._card().decide()

    def action_approve(self) -> None:
        """Approve another responder's request on the current step."""
        self._card().approve()

    def action_start_playbook(self) -> None:
        """Start a playbook on an incident that runs none."""
        self._card().start()

    def cancel_step(self) -> bool:
        """Cancel the running step, if any."""
        return self._card().cancel()
