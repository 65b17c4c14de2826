"""The Clusters tab: linked-account clusters with size, score and the evidence that links
them; Enter opens one cluster's evidence (with examples) and its members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ircli.services.findings import (
    VERDICT_ORDER,
    AccountFinding,
    ClusterFinding,
    Findings,
    cluster_members,
)
from ircli.tui.actions import bindings
from ircli.tui.findings import (
    ACCOUNT_COLUMNS,
    ROW_LIMIT,
    account_cells,
    add_fixed_columns,
    number_cell,
    verdict_cell,
)
from ircli.tui.plain import plain

if TYPE_CHECKING:
    from ircli.tui.app import IrcliApp

COLUMNS = (
    ("Cluster", 13),
    ("Size", 5),
    ("Score", 5),
    ("Verdicts", 18),
    ("Reqs", 6),
    ("Evidence", 120),
)
NO_ANALYSIS = "No clusters yet: run the playbook's analysis step, or: ircli analyze {incident}"


class ClustersPane(Vertical):
    """Every cluster of the latest analysis, highest score first."""

    SCOPE = "clusters"
    BINDINGS = bindings("clusters")

    app: IrcliApp

    def __init__(self, incident: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.incident_id = incident
        self.findings: Findings | None = None

    def compose(self) -> ComposeResult:
        yield Static(plain("reading the analysis…", style="dim"), id="clusters-summary")
        table: DataTable[Text] = DataTable(
            id="cluster-table", cursor_type="row", zebra_stripes=True
        )
        yield table

    def on_mount(self) -> None:
        table = self.query_one("#cluster-table", DataTable)
        add_fixed_columns(table, COLUMNS)
        table.display = False

    def show(self, findings: Findings | None) -> None:
        """Show a (new) analysis."""
        self.findings = findings
        table = self.query_one("#cluster-table", DataTable)
        summary = self.query_one("#clusters-summary", Static)
        table.display = findings is not None and bool(findings.clusters)
        self.set_class(table.display, "-filled")
        if findings is None:
            summary.update(plain(NO_ANALYSIS.format(incident=self.incident_id), style="dim"))
            return
        clusters = findings.clusters
        line = f"{findings.analysis_id}  {len(clusters):,} clusters"
        alerting = sum(1 for c in clusters if c.verdicts.get("alert", 0) * 2 > c.size)
        line += (
            f" · {alerting:,} mostly alert · largest {max((c.size for c in clusters), default=0):,}"
        )
        if len(clusters) > ROW_LIMIT:
            line += f" · the {ROW_LIMIT:,} highest-scoring shown"
        if not clusters:
            line += " · no accounts were linked"
        summary.update(plain(line, style="dim"))
        keep = table.cursor_row
        table.clear()
        table.add_rows(_row(c) for c in clusters[:ROW_LIMIT])
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))

    @on(DataTable.RowSelected, "#cluster-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.open_row(event.cursor_row)

    def action_open_cluster(self) -> None:
        """Open the highlighted cluster."""
        self.open_row(self.query_one("#cluster-table", DataTable).cursor_row)

    def open_row(self, row: int) -> None:
        """Open the cluster on ``row``."""
        if self.findings is None or not 0 <= row < min(len(self.findings.clusters), ROW_LIMIT):
            return
        self.app.push_screen(ClusterScreen(self.findings, self.findings.clusters[row].cluster))


def _row(cluster: ClusterFinding) -> tuple[Text, ...]:
    top = cluster.evidence[0].reason if cluster.evidence else ""
    return (
        plain(cluster.cluster),
        number_cell(cluster.size, "{:,}"),
        number_cell(cluster.score),
        _verdicts(cluster),
        number_cell(cluster.requests, "{:,}"),
        plain(
            top + (f" (+{len(cluster.evidence) - 1})" if len(cluster.evidence) > 1 else ""),
            limit=200,
        ),
    )


def _verdicts(cluster: ClusterFinding) -> Text:
    out = Text(no_wrap=True)
    shown = [v for v in VERDICT_ORDER if cluster.verdicts.get(v)]
    for i, verdict in enumerate(shown):
        out.append(" " if i else "")
        out.append_text(verdict_cell(verdict, f"{cluster.verdicts[verdict]} {verdict}"))
    return out


def _edges(cluster: ClusterFinding) -> Text:
    """The cluster's minimal evidence: what is shared, by how many, with example members."""
    out = Text()
    if not cluster.evidence:
        out.append("no evidence recorded", style="dim")
    for i, edge in enumerate(cluster.evidence):
        out.append("\n" if i else "")
        out.append("• ")
        out.append_text(plain(edge.reason, limit=300))
        out.append("\n    shared ", style="dim")
        out.append_text(plain(edge.token, limit=120, style="dim"))
        out.append(f" · {edge.kind} · weight {edge.weight:.2f}", style="dim")
        out.append("\n    e.g. ", style="dim")
        out.append_text(plain(", ".join(edge.examples), limit=200))
    return out


class ClusterScreen(Screen[None]):
    """One cluster: the evidence that links it (with examples) and its members."""

    SCOPE = "cluster"
    BINDINGS = bindings("cluster")
    AUTO_FOCUS = "#members"

    app: IrcliApp

    def __init__(self, findings: Findings, cluster: str) -> None:
        super().__init__(classes="drill-down")
        self.findings = findings
        self.cluster = findings.cluster(cluster)
        self.members: list[AccountFinding] = cluster_members(findings, cluster)

    def compose(self) -> ComposeResult:
        c = self.cluster
        banner = Text(no_wrap=True, overflow="ellipsis")
        banner.append(" Cluster ", style="bold")
        banner.append_text(plain(c.cluster, style="bold"))
        banner.append(f"  {c.size:,} accounts · score {c.score:.2f} · ")
        banner.append_text(_verdicts(c))
        banner.append(f" · {c.requests:,} requests", style="dim")
        banner.append(f"  {self.findings.incident} · {self.findings.analysis_id}", style="dim")
        yield Static(banner, id="cluster-banner")
        with VerticalScroll(id="cluster-body"):
            yield Static(Text("Evidence that links it", style="bold"), classes="pane-title")
            yield Static(_edges(c), id="edges")
            yield Static(
                Text(f"Members ({len(self.members):,}, alert first)", style="bold"),
                classes="pane-title",
            )
            members: DataTable[Text] = DataTable(
                id="members", cursor_type="row", zebra_stripes=True
            )
            add_fixed_columns(members, ACCOUNT_COLUMNS)
            members.add_rows(account_cells(m) for m in self.members[:ROW_LIMIT])
            yield members
            if len(self.members) > ROW_LIMIT:
                more = len(self.members) - ROW_LIMIT
                yield Static(
                    plain(f"{more:,} more members: filter the Accounts tab by this cluster"),
                    classes="empty",
                )
        yield Footer()

    def action_back(self) -> None:
        """Back to where the cluster was opened from."""
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#members")
    def _member_chosen(self, event: DataTable.RowSelected) -> None:
        self._open(event.cursor_row)

    def action_open_member(self) -> None:
        """Open the highlighted member account."""
        self._open(self.query_one("#members", DataTable).cursor_row)

    def _open(self, row: int) -> None:
        if not 0 <= row < min(len(self.members), ROW_LIMIT):
            return
        from ircli.tui.account_detail import AccountScreen

        self.app.push_screen(AccountScreen(self.findings, self.members[row].account))
