"""The dialogs of a playbook step: its form, checklist, decision, the approval of someone
else's request, starting a playbook, and the typed confirmation of a destructive action.

Everything shown from the journal or a preview goes through :func:`plain` (inert, never
markup). Imported only when the step card needs one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    Static,
    TextArea,
)

from ircli.services.current_step import CurrentStep, PreviewView
from ircli.services.responders import DecisionInput
from ircli.tui.dialogs import DIALOG_KEYS
from ircli.tui.plain import plain, plain_block


class _StepDialog(ModalScreen[Any]):
    """Submit and cancel buttons, ctrl+s and escape, one error line."""

    BINDINGS = DIALOG_KEYS
    SUBMIT = "Save (ctrl+s)"

    def buttons(self, variant: str = "primary") -> ComposeResult:
        yield Static("", id="form-error", markup=False)
        with Horizontal(classes="buttons"):
            yield Button(self.SUBMIT, variant=variant, id="submit", compact=True)  # type: ignore[arg-type]
            yield Button("Cancel", id="cancel", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()

    def error(self, text: str) -> None:
        """Say what is wrong, in the dialog."""
        self.query_one("#form-error", Static).update(Text(text))

    def action_submit(self) -> None:
        """Check and hand back the answer."""

    def action_cancel(self) -> None:
        """Close without answering."""
        self.dismiss(None)


def _title(step: CurrentStep, verb: str) -> Label:
    return Label(plain(f"{verb}: {step.title}", limit=70), classes="dialog-title")


class StepFormDialog(_StepDialog):
    """The fields of a form step; hands back ``{field: text}``."""

    def __init__(self, step: CurrentStep) -> None:
        super().__init__()
        self._step = step

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="step-form", classes="dialog"):
            yield _title(self._step, "Step")
            for field in self._step.inputs:
                label = field.label + ("" if field.required else " (optional)")
                yield Label(plain(label), classes="field")
                if field.choices:
                    yield Select(
                        [(c, c) for c in field.choices],
                        value=field.default if field.default in field.choices else Select.BLANK,
                        id=f"field-{field.name}",
                        compact=True,
                    )
                elif field.type == "text":
                    yield TextArea(field.default, id=f"field-{field.name}", classes="step-text")
                else:
                    yield Input(
                        field.default,
                        placeholder=field.help,
                        id=f"field-{field.name}",
                        compact=True,
                    )
            yield from self.buttons()

    def on_mount(self) -> None:
        self.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_submit(self) -> None:
        values: dict[str, str] = {}
        for field in self._step.inputs:
            widget = self.query_one(f"#field-{field.name}")
            if isinstance(widget, Select):
                raw = "" if widget.value is Select.BLANK else str(widget.value)
            elif isinstance(widget, TextArea):
                raw = widget.text
            else:
                assert isinstance(widget, Input)
                raw = widget.value
            raw = raw.strip()
            if not raw and field.required:
                self.error(f"{field.label} is required.")
                widget.focus()
                return
            if raw:
                values[field.name] = raw
        self.dismiss(values)


class ChecklistDialog(_StepDialog):
    """A checklist step's items; hands back the ids ticked."""

    def __init__(self, step: CurrentStep) -> None:
        super().__init__()
        self._step = step

    def compose(self) -> ComposeResult:
        with Vertical(id="step-check", classes="dialog"):
            yield _title(self._step, "Check")
            yield Static(Text("Space ticks an item; every item must be ticked to go on."))
            yield SelectionList[str](
                *[(plain(text, limit=300), item) for item, text in self._step.items],
                id="check-items",
            )
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_submit(self) -> None:
        ticked = list(self.query_one(SelectionList).selected)
        if not ticked:
            self.error("Tick the items you have checked.")
            return
        self.dismiss(ticked)


class DecideDialog(_StepDialog):
    """A decision: one option and the rationale (and evidence ids)."""

    SUBMIT = "Record decision (ctrl+s)"

    def __init__(self, step: CurrentStep) -> None:
        super().__init__()
        self._step = step

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="step-decide", classes="dialog"):
            yield _title(self._step, "Decide")
            with RadioSet(id="decide-options"):
                for option, label in self._step.options:
                    yield RadioButton(plain(label, limit=60), name=option)
            yield Label("Rationale (what a lawyer will read)", classes="field")
            yield TextArea(id="decide-rationale", classes="step-text")
            yield Label("Evidence ids (optional, comma-separated)", classes="field")
            yield Input(placeholder="EV-0001, EV-0002", id="decide-evidence", compact=True)
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one(RadioSet).focus()

    def action_submit(self) -> None:
        pressed = self.query_one(RadioSet).pressed_button
        if pressed is None or not pressed.name:
            self.error("Choose an option.")
            return
        rationale = self.query_one("#decide-rationale", TextArea).text.strip()
        if not rationale:
            self.error("A decision needs a rationale.")
            self.query_one("#decide-rationale", TextArea).focus()
            return
        raw = self.query_one("#decide-evidence", Input).value
        evidence = tuple(e.strip() for e in raw.split(",") if e.strip())
        self.dismiss(DecisionInput(pressed.name, rationale, evidence))


class StepNoteDialog(_StepDialog):
    """A note step's text."""

    def __init__(self, step: CurrentStep) -> None:
        super().__init__()
        self._step = step

    def compose(self) -> ComposeResult:
        with Vertical(id="step-note", classes="dialog"):
            yield _title(self._step, "Note")
            yield TextArea(id="step-note-text", classes="step-text")
            yield from self.buttons()

    def action_submit(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.error("The note is empty.")
            return
        self.dismiss(text)


class StartPlaybookDialog(_StepDialog):
    """Which playbook to run on the incident."""

    SUBMIT = "Start (ctrl+s)"

    def __init__(self, playbooks: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._playbooks = list(playbooks)

    def compose(self) -> ComposeResult:
        with Vertical(id="start-playbook", classes="dialog"):
            yield Label("Start a playbook", classes="dialog-title")
            names = [p for p, _ in self._playbooks]
            yield Select(
                [(plain(f"{name} — {title}", limit=60), name) for name, title in self._playbooks],
                value="distillation" if "distillation" in names else Select.BLANK,
                id="playbook",
                compact=True,
            )
            yield from self.buttons()

    def action_submit(self) -> None:
        value = self.query_one(Select).value
        if value is Select.BLANK:
            self.error("Choose a playbook.")
            return
        self.dismiss(str(value))


def _preview_widgets(preview: PreviewView | None) -> ComposeResult:
    if preview is None:
        yield Static(Text("No dry-run preview was recorded for this step."), classes="empty")
        return
    facts = Text()
    facts.append(preview.headline + "\n", style="bold")
    for label, value in preview.facts:
        facts.append(f"{label:<12} ", style="bold")
        facts.append_text(plain(value, limit=120))
        facts.append("\n")
    yield Static(facts, id="preview-facts")
    if preview.exclusions:
        table: DataTable[Text] = DataTable(id="preview-exclusions", cursor_type="row")
        table.add_columns("Excluded account", "Why")
        table.add_rows(
            [
                (plain(account, limit=40), plain(why, limit=80))
                for account, why in preview.exclusions
            ]
        )
        yield table
        if preview.excluded > len(preview.exclusions):
            yield Static(
                Text(f"… and {preview.excluded - len(preview.exclusions):,} more excluded"),
                classes="empty",
            )


class ConfirmActionDialog(_StepDialog):
    """A destructive step's dry run, and a typed confirmation before it runs."""

    SUBMIT = "Run it"

    def __init__(self, step: CurrentStep, preview: PreviewView | None) -> None:
        super().__init__()
        self._step = step
        self._preview = preview

    @property
    def phrase(self) -> str:
        """What the responder must type: the incident id."""
        return self._step.incident

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-action", classes="dialog"):
            yield _title(self._step, "Confirm")
            yield from _preview_widgets(self._preview)
            if self._step.approval is not None:
                by = ", ".join(self._step.approval.granted_by) or "nobody"
                yield Static(plain(f"Approved by {by}", style="dim"))
            yield Label(
                plain(f"Type {self.phrase} to confirm; this acts on real accounts and services."),
                classes="field",
            )
            yield Input(placeholder=self.phrase, id="confirm-phrase", compact=True)
            yield from self.buttons(variant="error")

    def on_mount(self) -> None:
        self.query_one("#submit", Button).disabled = True
        self.query_one("#confirm-phrase", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#submit", Button).disabled = event.value.strip() != self.phrase

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.query_one("#confirm-phrase", Input).value.strip() != self.phrase:
            self.error(f"Type {self.phrase} exactly to confirm.")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ApproveDialog(_StepDialog):
    """Approve another responder's request, having seen what it would do."""

    SUBMIT = "Approve (ctrl+s)"

    def __init__(self, step: CurrentStep) -> None:
        super().__init__()
        self._step = step

    def compose(self) -> ComposeResult:
        approval = self._step.approval
        with Vertical(id="approve-step", classes="dialog"):
            yield _title(self._step, "Approve")
            if approval is not None:
                yield Static(
                    plain(
                        f"Requested by {approval.requester or '?'} · "
                        f"{len(approval.granted_by)} of {approval.required} approval(s)"
                    )
                )
            if self._step.decision:
                yield Static(
                    plain_block(
                        f"Decision: {self._step.decision.get('option')}\n"
                        f"{self._step.decision.get('rationale', '')}"
                    )
                )
            if self._step.preview is not None:
                yield from _preview_widgets(self._step.preview)
            yield Label("Comment (optional)", classes="field")
            yield Input(id="approve-comment", compact=True)
            yield from self.buttons()

    def action_submit(self) -> None:
        self.dismiss(self.query_one("#approve-comment", Input).value.strip())
