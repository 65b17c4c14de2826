"""The help panel, and what the forms (:mod:`ircli.tui.forms`) hand back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from ircli.tui.actions import ACTIONS, keys_of, scopes_of
from ircli.tui.plain import plain

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
TLP_LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


@dataclass(frozen=True, slots=True)
class NewIncidentForm:
    """What the responder typed into the new-incident form."""

    title: str
    severity: str
    tlp: str
    accounts: list[str]
    playbook: str | None = None
    """The playbook to start on the new incident (``None``: no playbook yet)."""


DIALOG_KEYS: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close without saving"),
    Binding("ctrl+s", "submit", "Save", id="dialog.submit", tooltip="Save and close"),
]


class HelpScreen(ModalScreen[None]):
    """Every key of the current screen and the whole app, from the action registry."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q,question_mark", "close", "Close", id="help.close", tooltip="Close"),
    ]

    def __init__(self, scope: str, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self._scope = scope
        self._keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help", classes="dialog"):
            yield Label("Keys", classes="dialog-title")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static(
                Text(
                    "Ctrl+P opens the command palette: every action is there. "
                    "Remap keys by id in ircli.toml under [tui.keys]."
                ),
                id="help-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Id", "Action")
        scopes = scopes_of(self._scope)
        for action in ACTIONS:
            if action.scope in scopes:
                table.add_row(
                    plain(keys_of(action, self._keymap)),
                    plain(action.id, style="dim"),
                    plain(action.help or action.title),
                )
        table.focus()

    def action_close(self) -> None:
        """Close the help panel."""
        self.dismiss(None)
