"""The Evidence tab's items: every pull with its provenance (source, query, who, when,
records, quarantine, hashes); the highlighted item's full provenance shows below."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ircli.services.evidence import EvidenceItem, format_window
from ircli.tui.findings import number_cell
from ircli.tui.plain import plain, when

if TYPE_CHECKING:
    from ircli.tui.app import IrcliApp

COLUMNS = ("Evidence", "Table", "Source", "Accounts", "Window", "Records", "Quar.", "By", "At")
NO_EVIDENCE = "No evidence pulled yet: ircli evidence pull {incident} --source NAME"


class EvidencePane(Vertical):
    """The incident's evidence items and the provenance of the highlighted one."""

    app: IrcliApp

    def __init__(self, incident: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.incident_id = incident
        self.items: list[EvidenceItem] = []
        self.reasons: dict[str, dict[str, int]] = {}

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(
            id="evidence-items", cursor_type="row", zebra_stripes=True
        )
        table.add_columns(*COLUMNS)
        yield table
        yield Static(plain("reading the evidence…", style="dim"), id="evidence-provenance")

    def show(self, items: list[EvidenceItem], reasons: dict[str, dict[str, int]]) -> None:
        """Show the items and their quarantine reasons (a re-read keeps the highlighted
        row)."""
        self.items, self.reasons = items, reasons
        table = self.query_one("#evidence-items", DataTable)
        keep = table.cursor_row
        table.clear()
        table.add_rows(_row(item) for item in items)
        table.display = bool(items)
        self.set_class(bool(items), "-filled")
        if items:
            table.move_cursor(row=min(keep, len(items) - 1))
            self._provenance(table.cursor_row)
        else:
            self.query_one("#evidence-provenance", Static).update(
                plain(NO_EVIDENCE.format(incident=self.incident_id), style="dim")
            )

    @on(DataTable.RowHighlighted, "#evidence-items")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._provenance(event.cursor_row)

    def _provenance(self, row: int) -> None:
        if not 0 <= row < len(self.items):
            return
        item = self.items[row]
        accounts = item.query.get("accounts") or []
        out = Text()
        facts: list[tuple[str, object]] = [
            ("Evidence", f"{item.id} ({item.status})"),
            ("Source", f"{item.source} ({item.source_type})"),
            (
                "Query",
                f"table {item.table}, window {format_window(item)}, "
                + (
                    f"{len(accounts):,} account(s): {', '.join(map(str, accounts[:5]))}"
                    + (" …" if len(accounts) > 5 else "")
                    if accounts
                    else "all accounts"
                ),
            ),
            ("Request", ", ".join(f"{k}={v}" for k, v in sorted(item.request.items())) or "—"),
            ("Pulled", f"by {item.actor} at {when(item.ts)} (journal event {item.seq})"),
            (
                "Records",
                f"{item.records:,} kept · {item.quarantined:,} quarantined · "
                f"{item.out_of_scope:,} outside the query · {item.pages:,} page(s)",
            ),
        ]
        if item.quarantined:
            found = self.reasons.get(item.id) or {}
            why = " · ".join(f"{n:,} {reason}" for reason, n in found.items())
            where = f"reasons: ircli evidence show {self.incident_id} {item.id}"
            facts.append(("Quarantine", why or where))
        facts += [
            (
                f"{kind} file",
                f"sha256 {meta.get('sha256', '')} · {int(meta.get('bytes') or 0):,} bytes",
            )
            for kind, meta in sorted(item.files.items())
        ]
        for label, value in facts:
            out.append(f"{label:<15} ", style="bold")
            out.append_text(plain(value, limit=400))
            out.append("\n")
        out.append(
            "ircli evidence show / verify re-check the hashes and list quarantine reasons.",
            style="dim",
        )
        self.query_one("#evidence-provenance", Static).update(out)


def _row(item: EvidenceItem) -> tuple[Text, ...]:
    accounts = item.query.get("accounts") or []
    quarantined = number_cell(item.quarantined, "{:,}")
    if item.quarantined:
        quarantined.stylize("yellow")
    return (
        plain(item.id, style="" if item.status == "complete" else "yellow"),
        plain(item.table),
        plain(item.source, limit=30),
        plain(f"{len(accounts):,}" if accounts else "all"),
        plain(format_window(item)),
        number_cell(item.records, "{:,}"),
        quarantined,
        plain(item.actor, limit=20),
        plain(when(item.ts)),
    )
