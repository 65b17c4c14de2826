"""Home: every incident, a filter, and the way to open or start one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from ircli.services.journal import IncidentRow
from ircli.tui.actions import bindings
from ircli.tui.dialogs import NewIncidentForm
from ircli.tui.messages import BoardLoaded, IncidentCreated, JournalChanged, PlaybooksListed
from ircli.tui.plain import plain, when

if TYPE_CHECKING:
    from ircli.tui.app import IrcliApp

SEVERITY_STYLES = {"sev1": "bold red", "sev2": "bold dark_orange", "sev3": "yellow", "sev4": ""}
COLUMNS = (
    ("Id", 8),
    ("Title", 0),
    ("Sev", 4),
    ("Status", 6),
    ("Step", 14),
    ("Accts", 5),
    ("Updated", 16),
)
"""Columns and their widths; the title takes what the others leave."""


class HomeScreen(Screen[None]):
    """The incidents board."""

    SCOPE = "home"
    BINDINGS = bindings("home")
    AUTO_FOCUS = "#incidents"

    app: IrcliApp

    def __init__(self) -> None:
        super().__init__(id="home")
        self._rows: list[IncidentRow] = []
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Static(Text("ircli · incidents", style="bold"), id="home-title")
        yield Input(
            placeholder="Filter by id, title, severity, TLP, status or step  (/)", id="filter"
        )
        yield DataTable(id="incidents", cursor_type="row", zebra_stripes=True)
        yield Static("", id="home-empty")
        yield Footer()

    def on_mount(self) -> None:
        self._add_columns()
        self.reload()

    def _add_columns(self) -> None:
        # Fixed widths: the title gets the room, and a long title never pushes the rest away.
        table = self.query_one("#incidents", DataTable)
        fixed = sum(width for _, width in COLUMNS) + 2 * len(COLUMNS) + 2
        for label, width in COLUMNS:
            table.add_column(
                label, key=label.lower(), width=width or max(self.size.width - fixed, 10)
            )

    def on_resize(self) -> None:
        table = self.query_one("#incidents", DataTable)
        table.clear(columns=True)
        self._add_columns()
        self._render_rows()

    def on_screen_resume(self) -> None:
        if self._loaded:
            self.reload()

    def reload(self) -> None:
        """Ask a worker for the board."""
        self.app.load_board(self)

    def on_board_loaded(self, message: BoardLoaded) -> None:
        self._rows = message.rows
        self._loaded = True
        self._render_rows()

    def on_journal_changed(self, message: JournalChanged) -> None:
        self.reload()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._render_rows()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#incidents", DataTable).focus()

    def _render_rows(self) -> None:
        table = self.query_one("#incidents", DataTable)
        selected = self.selected_incident()
        needle = self.query_one("#filter", Input).value.strip().casefold()
        table.clear()
        shown = [row for row in self._rows if not needle or _matches(row, needle)]
        for row in shown:
            table.add_row(
                plain(row.id, style="bold"),
                plain(row.title, limit=120),
                plain(row.severity, style=SEVERITY_STYLES.get(row.severity, "")),
                plain(row.status, style="dim" if row.status == "closed" else ""),
                plain(row.step, limit=30),
                plain(row.accounts),
                plain(when(row.updated)[:16]),
                key=row.id,
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected))
        self.query_one("#home-empty", Static).update(self._empty_text(len(shown), needle))

    def _empty_text(self, shown: int, needle: str) -> Text:
        if shown:
            return Text("")
        if needle:
            return Text("No incident matches the filter.")
        return Text("No incidents yet. Press n to open one.")

    def selected_incident(self) -> str | None:
        """The id of the incident under the cursor."""
        table = self.query_one("#incidents", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    @on(DataTable.RowSelected, "#incidents")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.open_incident(str(event.row_key.value))

    def action_open_selected(self) -> None:
        """Open the incident under the cursor."""
        incident = self.selected_incident()
        if incident is not None:
            self.app.open_incident(incident)

    def action_focus_filter(self) -> None:
        """Put the cursor in the filter box."""
        self.query_one("#filter", Input).focus()

    def action_refresh(self) -> None:
        """Reload the board."""
        self.reload()

    def action_new_incident(self) -> None:
        """Ask for the new incident's details, then open it."""
        if not self.app.started:
            return  # the configuration (and its defaults) is still being read
        self.app.list_playbooks(self)  # the form opens when they are read

    def on_playbooks_listed(self, message: PlaybooksListed) -> None:
        from ircli.tui.forms import NewIncidentDialog

        defaults = self.app.template.config.defaults
        dialog = NewIncidentDialog(
            severity=defaults.severity, tlp=defaults.tlp, playbooks=message.playbooks
        )
        self.app.push_screen(dialog, self._create)

    def _create(self, form: NewIncidentForm | None) -> None:
        if form is not None:
            self.app.create_incident(
                self, form.title, form.severity, form.tlp, form.accounts, form.playbook
            )

    def on_incident_created(self, message: IncidentCreated) -> None:
        self.app.notify(f"Opened {message.incident}", markup=False)
        self.app.open_incident(message.incident)


def _matches(row: IncidentRow, needle: str) -> bool:
    return any(needle in value.casefold() for value in row.words())
