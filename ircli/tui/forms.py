"""The forms a responder fills in: a new incident and a note.

Imported only when a form opens: TextArea and Select are not needed for the first frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from ircli.tui.dialogs import DIALOG_KEYS, SEVERITIES, TLP_LEVELS, NewIncidentForm


class NewIncidentDialog(ModalScreen[NewIncidentForm | None]):
    """Title, severity, TLP, seed accounts and playbook of a new incident."""

    BINDINGS = DIALOG_KEYS

    def __init__(
        self,
        *,
        severity: str = "sev3",
        tlp: str = "AMBER",
        playbooks: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__()
        self._severity = severity if severity in SEVERITIES else "sev3"
        self._tlp = tlp if tlp in TLP_LEVELS else "AMBER"
        self._playbooks = list(playbooks)
        """``(name, title)`` of each valid playbook the responder may start."""

    def compose(self) -> ComposeResult:
        with Vertical(id="new-incident", classes="dialog"):
            yield Label("New incident", classes="dialog-title")
            yield Label("Title", classes="field")
            yield Input(placeholder="What happened, in one line", id="title", compact=True)
            with Horizontal(classes="pair"):
                with Vertical():
                    yield Label("Severity", classes="field")
                    yield Select(
                        [(s, s) for s in SEVERITIES],
                        value=self._severity,
                        allow_blank=False,
                        id="severity",
                        compact=True,
                    )
                with Vertical():
                    yield Label("TLP", classes="field")
                    yield Select(
                        [(t, t) for t in TLP_LEVELS],
                        value=self._tlp,
                        allow_blank=False,
                        id="tlp",
                        compact=True,
                    )
            yield Label("Seed accounts (comma-separated)", classes="field")
            yield Input(placeholder="acct-1, acct-2", id="accounts", compact=True)
            yield Label("Playbook", classes="field")
            yield Select(
                [(f"{name} — {title}" if title else name, name) for name, title in self._playbooks],
                prompt="none (start one later with p)",
                id="playbook",
                compact=True,
            )
            yield Static("", id="form-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Open incident", variant="primary", id="submit", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "accounts":
            self.action_submit()
        else:
            self.focus_next()

    def action_submit(self) -> None:
        """Check the form and hand it back."""
        title = self.query_one("#title", Input).value.strip()
        if not title:
            self.query_one("#form-error", Static).update("An incident needs a title.")
            self.query_one("#title", Input).focus()
            return
        raw = self.query_one("#accounts", Input).value
        accounts = [part.strip() for part in raw.split(",") if part.strip()]
        severity = str(self.query_one("#severity", Select).value)
        tlp = str(self.query_one("#tlp", Select).value)
        chosen = self.query_one("#playbook", Select).value
        playbook = chosen if isinstance(chosen, str) else None
        self.dismiss(NewIncidentForm(title, severity, tlp, accounts, playbook))

    def action_cancel(self) -> None:
        """Close without opening anything."""
        self.dismiss(None)


class NoteDialog(ModalScreen[str | None]):
    """A free-text note for the journal."""

    BINDINGS = DIALOG_KEYS

    def __init__(self, incident: str) -> None:
        super().__init__()
        self._incident = incident

    def compose(self) -> ComposeResult:
        with Vertical(id="note", classes="dialog"):
            yield Label(f"Note on {self._incident}", classes="dialog-title", markup=False)
            yield TextArea(id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="form-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Save note (ctrl+s)", variant="primary", id="submit", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        """Hand back the note unless it is empty."""
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.query_one("#form-error", Static).update("The note is empty.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
