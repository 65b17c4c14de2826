"""The Accounts tab's findings table: every analysed account with verdict, score, cluster
and top reason; sorted by any column, filtered by verdict, cluster and account id; Enter
drills down.

The whole list stays in memory as frozen findings; the table holds at most
:data:`ROW_LIMIT` rows of the current order and filter, and says how many more there are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Input, Select, Static

from ircli.services.findings import (
    SORT_KEYS,
    VERDICT_ORDER,
    AccountFinding,
    Findings,
    filter_accounts,
    sort_accounts,
    verdict_counts,
)
from ircli.tui.actions import bindings
from ircli.tui.findings import ROW_LIMIT, number_cell, verdict_cell
from ircli.tui.plain import plain

if TYPE_CHECKING:
    from ircli.tui.app import IrcliApp

COLUMNS = (
    ("verdict", "Verdict", 7),
    ("score", "Score", 5),
    ("account", "Account", 20),
    ("cluster", "Cluster", 13),
    ("requests", "Reqs", 6),
    ("reason", "Top reason", 120),
)
"""Column key, label and fixed width (a header never waits for its rows to be measured);
every column but the reason sorts."""
TYPING_PAUSE = 0.15
"""Seconds of no typing after which the cluster or account filter applies."""
NO_ANALYSIS = "No analysis yet. Run the playbook's analysis step, or: ircli analyze {incident}"


class AccountsPane(Vertical):
    """The findings table of one incident, with its filters and a status line."""

    SCOPE = "accounts"
    BINDINGS = bindings("accounts")

    app: IrcliApp

    def __init__(self, incident: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.incident_id = incident
        self.findings: Findings | None = None
        self.sort_key = "verdict"
        self.descending = False
        self.verdict: str | None = None
        self.cluster = ""
        self.text = ""
        self.shown: list[AccountFinding] = []
        self._typing: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(plain("reading the analysis…", style="dim"), id="findings-summary")
        with Horizontal(id="findings-filters"):
            yield Select(
                [(v, v) for v in VERDICT_ORDER],
                prompt="every verdict  (w)",
                id="verdict-filter",
                compact=True,
            )
            yield Input(placeholder="cluster, - for none  (f)", id="cluster-filter", compact=True)
            yield Input(placeholder="account contains  (/)", id="account-filter", compact=True)
        yield DataTable(id="findings", cursor_type="row", zebra_stripes=True)
        yield Static("", id="findings-status")

    def on_mount(self) -> None:
        self.query_one("#findings-filters").display = False
        self.query_one("#findings", DataTable).display = False

    # -- data ----------------------------------------------------------------------

    def show(self, findings: Findings | None) -> None:
        """Show a (new) analysis, keeping the responder's sort and filters."""
        self.findings = findings
        summary = self.query_one("#findings-summary", Static)
        has = findings is not None
        self.set_class(has, "-filled")
        self.screen.set_class(has, "-analysed")
        self.query_one("#findings-filters").display = has
        self.query_one("#findings", DataTable).display = has
        if findings is None:
            summary.update(plain(NO_ANALYSIS.format(incident=self.incident_id), style="dim"))
            self.query_one("#findings-status", Static).update("")
            return
        counts = verdict_counts(findings.accounts)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{findings.analysis_id}", style="bold")
        line.append(f"  {len(findings.accounts):,} accounts: ")
        for i, verdict in enumerate(VERDICT_ORDER):
            line.append(" · " if i else "")
            line.append_text(verdict_cell(verdict, f"{counts[verdict]:,} {verdict}"))
        line.append(f"  ·  {len(findings.clusters):,} clusters", style="")
        summary.update(line)
        self.refill()

    def refill(self) -> None:
        """Rebuild the table from the findings, the sort and the filters."""
        table = self.query_one("#findings", DataTable)
        if self.findings is None:
            return
        chosen = filter_accounts(
            self.findings.accounts, verdict=self.verdict, cluster=self.cluster, text=self.text
        )
        self.shown = sort_accounts(chosen, self.sort_key, descending=self.descending)
        keep = table.cursor_row
        table.clear(columns=True)
        for key, label, width in COLUMNS:
            mark = ""
            if key == self.sort_key:
                mark = " ▼" if self.descending else " ▲"
            # Room for the sort mark, so the header never hides which column sorts.
            room = max(width, len(label) + 2)
            table.add_column(Text(label + mark, style="bold"), key=key, width=room)
        table.add_rows(_row(r) for r in self.shown[:ROW_LIMIT])
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        self._status(len(chosen))

    def _status(self, matching: int) -> None:
        assert self.findings is not None
        total = len(self.findings.accounts)
        rows = min(matching, ROW_LIMIT)
        text = f"{rows:,} of {total:,} accounts shown"
        if matching > ROW_LIMIT:
            text += (
                f" · {matching - ROW_LIMIT:,} more: filter to narrow"
                " (w verdict, f cluster, / account)"
            )
        elif matching == 0:
            text = "No account matches the filters (x clears them)."
        text += f" · by {self.sort_key} {'▼' if self.descending else '▲'} (o, O)"
        self.query_one("#findings-status", Static).update(Text(text, style="dim"))

    # -- sorting -------------------------------------------------------------------

    def sort_by(self, key: str, *, descending: bool | None = None) -> None:
        """Sort by ``key`` (one of :data:`SORT_KEYS`); the same key again reverses."""
        if descending is None:
            descending = not self.descending if key == self.sort_key else key == "score"
        self.sort_key, self.descending = key, descending
        self.refill()

    @on(DataTable.HeaderSelected, "#findings")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in SORT_KEYS:
            self.sort_by(key)

    def action_sort_next(self) -> None:
        """Sort by the next column."""
        index = (SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)
        self.sort_by(SORT_KEYS[index])  # a new key: its default direction

    def action_sort_reverse(self) -> None:
        """Reverse the order."""
        self.sort_by(self.sort_key, descending=not self.descending)

    # -- filtering -----------------------------------------------------------------

    def filter_by(
        self, *, verdict: str | None = None, cluster: str | None = None, text: str | None = None
    ) -> None:
        """Set the filters (``verdict=""`` means every verdict) and rebuild the table."""
        if verdict is not None:
            self.verdict = verdict or None
            select = self.query_one("#verdict-filter", Select)
            value = self.verdict if self.verdict else Select.NULL
            if select.value != value:
                with select.prevent(Select.Changed):
                    select.value = value
        if cluster is not None:
            self.cluster = cluster.strip()
            self._show_typed("#cluster-filter", cluster)
        if text is not None:
            self.text = text.strip()
            self._show_typed("#account-filter", text)
        self.refill()

    def _show_typed(self, box_id: str, value: str) -> None:
        # A filter set from elsewhere (a key, the palette) shows in its box without the
        # box reporting it back as typing.
        box = self.query_one(box_id, Input)
        if box.value != value:
            with box.prevent(Input.Changed):
                box.value = value

    @on(Select.Changed, "#verdict-filter")
    def _verdict_chosen(self, event: Select.Changed) -> None:
        value = event.value
        self.filter_by(verdict=value if isinstance(value, str) else "")

    @on(Input.Changed, "#cluster-filter")
    def _cluster_typed(self, event: Input.Changed) -> None:
        value = event.value
        self._after_typing(lambda: self.filter_by(cluster=value))

    @on(Input.Changed, "#account-filter")
    def _account_typed(self, event: Input.Changed) -> None:
        value = event.value
        self._after_typing(lambda: self.filter_by(text=value))

    def _after_typing(self, apply: Callable[[], None]) -> None:
        # Rebuild once typing pauses, not on every keystroke of an id.
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_PAUSE, apply)

    @on(Input.Submitted, "#cluster-filter, #account-filter")
    def _filter_done(self) -> None:
        self.query_one("#findings", DataTable).focus()

    def action_cycle_verdict(self) -> None:
        """Every verdict → alert → watch → policy → clear → every verdict."""
        cycle = ["", *VERDICT_ORDER]
        now = cycle.index(self.verdict or "")
        self.filter_by(verdict=cycle[(now + 1) % len(cycle)])

    def action_filter_cluster(self) -> None:
        """Type a cluster id to filter by."""
        self.query_one("#cluster-filter", Input).focus()

    def action_find_account(self) -> None:
        """Type part of an account id to filter by."""
        self.query_one("#account-filter", Input).focus()

    def action_clear_filters(self) -> None:
        """Show every account again."""
        self.filter_by(verdict="", cluster="", text="")

    # -- drilling down -------------------------------------------------------------

    @on(DataTable.RowSelected, "#findings")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_row(event.cursor_row)

    def action_open_account(self) -> None:
        """Open the highlighted account."""
        self.open_row(self.query_one("#findings", DataTable).cursor_row)

    def open_row(self, row: int) -> None:
        """Open the drill-down of the account on ``row`` of the table."""
        if self.findings is None or not 0 <= row < min(len(self.shown), ROW_LIMIT):
            return
        from ircli.tui.account_detail import AccountScreen

        self.app.push_screen(AccountScreen(self.findings, self.shown[row].account))


def _row(finding: AccountFinding) -> tuple[Text, ...]:
    return (
        verdict_cell(finding.verdict),
        number_cell(finding.score),
        plain(finding.account, limit=60),
        plain(finding.cluster or "—", style="" if finding.cluster else "dim"),
        number_cell(finding.requests, "{:,}"),
        plain(finding.top_reason, limit=200),
    )
