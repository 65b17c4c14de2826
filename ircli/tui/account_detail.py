"""One account in depth: why it got its verdict, each indicator against its peers, the
cluster it belongs to with its mates, and prompts it sent (attacker text, shown inert)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ircli.services.findings import AccountDetail, Findings
from ircli.tui.actions import bindings
from ircli.tui.findings import (
    ACCOUNT_COLUMNS,
    AccountRead,
    account_cells,
    add_fixed_columns,
    number_cell,
    read_account,
    verdict_cell,
)
from ircli.tui.plain import plain, plain_block

if TYPE_CHECKING:
    from ircli.tui.app import IrcliApp

INDICATOR_COLUMNS = (
    ("Indicator", 24),
    ("Family", 12),
    ("Value", 8),
    ("Peer median", 11),
    ("Percentile", 10),
    ("Strength", 8),
)


class AccountScreen(Screen[None]):
    """The drill-down of one analysed account."""

    SCOPE = "account"
    BINDINGS = bindings("account")
    AUTO_FOCUS = "#mates"

    app: IrcliApp

    def __init__(self, findings: Findings, account: str) -> None:
        super().__init__(classes="drill-down")
        self.findings = findings
        self.account = account
        self.detail: AccountDetail | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._banner(), id="account-banner")
        with VerticalScroll(id="account-body"):
            yield Static(Text("Why", style="bold"), classes="pane-title")
            yield Static(plain("reading…", style="dim"), id="account-reasons")
            yield Static(Text("Indicators against peers", style="bold"), classes="pane-title")
            yield Static("", id="account-peers", classes="empty")
            table: DataTable[Text] = DataTable(id="indicators", cursor_type="row")
            add_fixed_columns(table, INDICATOR_COLUMNS)
            yield table
            yield Static(Text("Cluster", style="bold"), classes="pane-title")
            yield Static("", id="account-cluster")
            mates: DataTable[Text] = DataTable(id="mates", cursor_type="row", zebra_stripes=True)
            add_fixed_columns(mates, ACCOUNT_COLUMNS)
            yield mates
            yield Static(Text("Sample prompts", style="bold"), classes="pane-title")
            yield Static("", id="account-prompts")
        yield Footer()

    def on_mount(self) -> None:
        read_account(self.app, self, self.findings, self.account)

    def _banner(self) -> Text:
        finding = self.findings.account(self.account)
        banner = Text(no_wrap=True, overflow="ellipsis")
        banner.append(" Account ", style="bold")
        banner.append_text(plain(finding.account, limit=80, style="bold"))
        banner.append("  ")
        banner.append_text(verdict_cell(finding.verdict))
        banner.append(f"  score {finding.score:.2f}  ")
        banner.append_text(plain(finding.cluster or "no cluster"))
        banner.append(f"  {finding.requests:,} requests", style="dim")
        banner.append(f"  {self.findings.incident} · {self.findings.analysis_id}", style="dim")
        return banner

    def on_account_read(self, message: AccountRead) -> None:
        detail = message.detail
        if detail.finding.account != self.account:
            return
        self.detail = detail
        reasons = Text()
        for i, reason in enumerate(detail.finding.reasons):
            reasons.append("• " if i else "", style="dim")
            reasons.append_text(plain(reason, limit=400, style="bold" if i == 0 else ""))
            reasons.append("\n")
        families = "  ".join(f"{k} {v:.2f}" for k, v in detail.families.items() if v)
        reasons.append(f"family strengths: {families or 'none'}", style="dim")
        self.query_one("#account-reasons", Static).update(reasons)
        self.query_one("#account-peers", Static).update(
            plain(
                f"peers: the {detail.peers:,} accounts of peer group {detail.peer_group!r}"
                if detail.peer_group
                else "peer medians are not in this analysis (re-run it to record them)"
            )
        )
        table = self.query_one("#indicators", DataTable)
        table.clear()
        table.add_rows(
            (
                plain(r.name),
                plain(r.family, style="dim"),
                number_cell(r.value, "{:.3g}"),
                number_cell(r.peer_median, "{:.3g}"),
                number_cell(None if r.percentile is None else r.percentile * 100, "{:.0f}%"),
                number_cell(r.strength),
            )
            for r in detail.indicators
        )
        self._show_cluster(detail)
        self._show_prompts(detail)

    def _show_cluster(self, detail: AccountDetail) -> None:
        out = Text()
        cluster = detail.cluster
        if cluster is None:
            out.append("Not linked to other accounts.", style="dim")
        else:
            out.append_text(plain(cluster.cluster, style="bold"))
            out.append(f"  {cluster.size:,} accounts · score {cluster.score:.2f} · ")
            out.append(cluster.verdict_line)
            for edge in cluster.evidence[:5]:
                out.append("\n  • ")
                out.append_text(plain(edge.reason, limit=200))
                out.append(f" (weight {edge.weight:.2f})", style="dim")
            more = detail.mates_total - len(detail.mates)
            out.append(
                "\nCluster-mates"
                + (
                    f" (first {len(detail.mates)}, {more:,} more; c shows all):"
                    if more
                    else " (c shows the cluster):"
                ),
                style="dim",
            )
        self.query_one("#account-cluster", Static).update(out)
        mates = self.query_one("#mates", DataTable)
        mates.clear()
        mates.add_rows(account_cells(m) for m in detail.mates)
        mates.display = bool(detail.mates)

    def _show_prompts(self, detail: AccountDetail) -> None:
        out = Text()
        if not detail.prompts:
            out.append(detail.prompts_note or "no prompts", style="dim")
        for sample in detail.prompts:
            out.append(f"×{sample.count:<4} first {sample.first_seen}  ", style="dim")
            out.append_text(plain(sample.model, limit=40, style="dim"))
            out.append("  ")
            out.append_text(plain(sample.user_agent, limit=60, style="dim"))
            out.append("\n")
            out.append_text(plain_block(sample.text))
            out.append("\n\n")
        self.query_one("#account-prompts", Static).update(out)

    # -- actions -------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to the incident."""
        self.app.pop_screen()

    def action_open_cluster(self) -> None:
        """Show this account's cluster: its evidence and every member."""
        finding = self.findings.account(self.account)
        if finding.cluster is None:
            self.app.notify("This account is in no cluster.", markup=False, timeout=3)
            return
        from ircli.tui.clusters import ClusterScreen

        self.app.push_screen(ClusterScreen(self.findings, finding.cluster))

    @on(DataTable.RowSelected, "#mates")
    def _mate_chosen(self, event: DataTable.RowSelected) -> None:
        self._open_mate(event.cursor_row)

    def action_open_mate(self) -> None:
        """Open the highlighted cluster-mate."""
        self._open_mate(self.query_one("#mates", DataTable).cursor_row)

    def _open_mate(self, row: int) -> None:
        if self.detail is None or not 0 <= row < len(self.detail.mates):
            return
        self.app.push_screen(AccountScreen(self.findings, self.detail.mates[row].account))
