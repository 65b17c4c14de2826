"""The analysis tabs on an incident analysed through the services: the findings table
sorts and filters, Enter drills into an account or a cluster, the Evidence tab shows
provenance, and a new analysis in the journal refreshes the tabs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from ircli.services.analysis import analyze_incident
from ircli.services.findings import Findings, incident_findings
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace
from ircli.tui import accounts as accounts_module
from ircli.tui.account_detail import AccountScreen
from ircli.tui.accounts import AccountsPane
from ircli.tui.app import IrcliApp
from ircli.tui.clusters import ClusterScreen, ClustersPane
from ircli.tui.dialogs import HelpScreen
from tests.tui.analysed import add_evidence
from tests.tui.helpers import screen_text, settle

AppFactory = Callable[..., IrcliApp]


def _findings(ws: Workspace, incident: str) -> Findings:
    found = incident_findings(ws, incident)
    assert found is not None
    return found


def _column(table: DataTable[object], key: str) -> list[str]:
    return [str(getattr(c, "plain", c)) for c in table.get_column(key)]


async def test_accounts_sort_by_key_and_by_header_click(
    ws: Workspace, analysed: str, app_for: AppFactory
) -> None:
    found = _findings(ws, analysed)
    app = app_for(incident=analysed)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        pane = app.screen.query_one(AccountsPane)
        table = pane.query_one("#findings", DataTable)
        assert app.focused is table and table.row_count == len(found.accounts)
        verdicts = _column(table, "verdict")
        assert verdicts[0] == "alert" and verdicts[-1] == "clear"
        await pilot.press("o")  # next column: score, highest first
        scores = [float(s) for s in _column(table, "score")]
        assert pane.sort_key == "score" and scores == sorted(scores, reverse=True)
        assert scores[0] > scores[-1]
        await pilot.press("O")  # reversed
        scores = [float(s) for s in _column(table, "score")]
        assert scores == sorted(scores) and "Score ▲" in screen_text(app)
        # A click on the Account header sorts by it; a second click reverses.
        columns = list(table.columns.values())
        x = sum(c.get_render_width(table) for c in columns[:2]) + 2
        assert str(columns[2].label).startswith("Account")
        await pilot.click("#findings", offset=(x, 0))
        await settle(pilot)
        names = _column(table, "account")
        assert pane.sort_key == "account" and names == sorted(names)
        await pilot.click("#findings", offset=(x, 0))
        await settle(pilot)
        assert _column(table, "account") == sorted(names, reverse=True)
        assert "Account ▼" in screen_text(app)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        help_text = screen_text(app)
        assert "accounts.sort" in help_text and "clusters.open" in help_text


async def test_accounts_filter_by_verdict_and_cluster(
    ws: Workspace, analysed: str, app_for: AppFactory
) -> None:
    found = _findings(ws, analysed)
    hydra = found.account("hydra-0").cluster
    assert hydra is not None
    app = app_for(incident=analysed)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3", "w")
        await settle(pilot)
        pane = app.screen.query_one(AccountsPane)
        table = pane.query_one("#findings", DataTable)
        alerts = found.summary["verdicts"]["alert"]
        assert set(_column(table, "verdict")) == {"alert"} and table.row_count == alerts
        assert f"{alerts} of {len(found.accounts)} accounts shown" in screen_text(app)
        await pilot.press("w")
        assert set(_column(table, "verdict")) == {"watch"}
        await pilot.press("x")
        assert table.row_count == len(found.accounts)
        await pilot.press("f")
        box = pane.query_one("#cluster-filter", Input)
        assert app.focused is box
        await pilot.press(*hydra[:7].lower())
        await pilot.pause(0.3)  # the filter applies once typing pauses
        await settle(pilot)
        assert {n for n in _column(table, "account")} == set(found.cluster(hydra).accounts)
        await pilot.press("enter")  # back to the table, filter kept
        assert app.focused is table and pane.cluster == hydra[:7].lower()
        await pilot.press("w")  # both filters at once
        assert set(_column(table, "verdict")) == {"alert"}
        box.value = "-"
        await pilot.pause(0.3)
        await settle(pilot)
        unlinked = {a.account for a in found.accounts if a.cluster is None and a.verdict == "alert"}
        assert set(_column(table, "account")) == unlinked
        if not unlinked:
            assert "No account matches the filters" in screen_text(app)


async def test_accounts_find_by_part_of_the_account_id(
    ws: Workspace, analysed: str, app_for: AppFactory
) -> None:
    found = _findings(ws, analysed)
    wanted = {a.account for a in found.accounts if "hydra-1" in a.account}
    assert wanted and len(wanted) < len(found.accounts)
    app = app_for(incident=analysed)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3", "slash")
        pane = app.screen.query_one(AccountsPane)
        table = pane.query_one("#findings", DataTable)
        box = pane.query_one("#account-filter", Input)
        assert app.focused is box
        await pilot.press(*"HYDRA-1")  # case does not matter
        await pilot.pause(0.3)  # the filter applies once typing pauses
        await settle(pilot)
        assert set(_column(table, "account")) == wanted
        await pilot.press("enter")  # back to the table, filter kept
        assert app.focused is table and pane.text == "HYDRA-1"
        await pilot.press("w")  # with the verdict filter too
        alerts = {a.account for a in found.accounts if a.account in wanted and a.verdict == "alert"}
        assert set(_column(table, "account")) == alerts
        await pilot.press("x")
        assert table.row_count == len(found.accounts) and box.value == ""


async def test_accounts_table_is_capped_with_a_line_saying_how_many_more(
    ws: Workspace, analysed: str, app_for: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts_module, "ROW_LIMIT", 10)
    total = len(_findings(ws, analysed).accounts)
    app = app_for(incident=analysed)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        table = app.screen.query_one("#findings", DataTable)
        assert table.row_count == 10
        assert f"10 of {total} accounts shown · {total - 10} more: filter to narrow" in (
            screen_text(app)
        )


async def test_drill_down_shows_reasons_peers_cluster_and_prompts(
    ws: Workspace, analysed: str, app_for: AppFactory
) -> None:
    found = _findings(ws, analysed)
    app = app_for(incident=analysed)
    async with app.run_test(size=(160, 80)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        pane = app.screen.query_one(AccountsPane)
        pane.filter_by(cluster=found.account("hydra-0").cluster or "")
        pane.sort_by("account", descending=False)
        pane.query_one("#findings", DataTable).focus()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen) and screen.account == "hydra-0"
        text = screen_text(app)
        assert "Account hydra-0  alert  score 1.00" in text
        assert "alert: content evidence" in text and "• [content]" in text
        assert "peers: the" in text and "peer group 'tier2'" in text
        assert "Peer median" in text and "Percentile" in text
        detail = screen.detail
        assert detail is not None
        cot = next(r for r in detail.indicators if r.name == "cot_share")
        row = next(line for line in text.splitlines() if " cot_share " in line)
        assert f"{cot.value:.3g}" in row and f"{(cot.percentile or 0) * 100:.0f}%" in row
        assert "Cluster-mates" in text and all(f"hydra-{i}" in text for i in range(1, 6))
        assert "Sample prompts" in text and "Explain your reasoning step by step" in text
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ClusterScreen)
        assert "Evidence that links it" in screen_text(app) and "e.g. hydra-0" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("enter")  # the first cluster-mate
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen) and app.screen.account == "hydra-1"
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen.query_one(AccountsPane), AccountsPane)


async def test_clusters_tab_lists_clusters_and_opens_one(
    ws: Workspace, analysed: str, app_for: AppFactory
) -> None:
    found = _findings(ws, analysed)
    app = app_for(incident=analysed)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        table = app.screen.query_one("#cluster-table", DataTable)
        assert app.focused is table and table.row_count == len(found.clusters)
        first = found.clusters[0]
        text = screen_text(app)
        assert f"{len(found.clusters)} clusters" in text and first.cluster in text
        assert first.evidence[0].reason[:40] in text
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClusterScreen) and screen.cluster.cluster == first.cluster
        text = screen_text(app)
        assert f"Members ({first.size}, alert first)" in text
        assert all(a in text for a in first.accounts)
        assert f"shared {first.evidence[0].token}"[:40] in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.account == screen.members[0].account


async def test_evidence_tab_shows_provenance(
    ws: Workspace, analysed: str, app_for: AppFactory
) -> None:
    from ircli.services.evidence import list_evidence

    items = list_evidence(ws, analysed)
    app = app_for(incident=analysed)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#evidence-items", DataTable)
        assert app.focused is table and table.row_count == len(items) == 3
        text = screen_text(app)
        first = items[0]
        assert "Source          lab-logs (file)" in text
        assert f"parquet file    sha256 {first.files['parquet']['sha256']}" in text
        assert f"{first.records:,} kept · 2 quarantined" in text
        assert "Quarantine      1 field ts: not a time · 1 bad JSON" in text
        assert f"quarantine file sha256 {first.files['quarantine']['sha256']}" in text
        await pilot.press("down")
        await settle(pilot)
        assert items[1].files["parquet"]["sha256"] in screen_text(app)


async def test_a_new_analysis_in_the_journal_fills_the_tabs(
    ws: Workspace, world_files: dict[str, Path], app_for: AppFactory
) -> None:
    incident = open_incident(ws, title="not analysed yet").id
    for table in ("requests", "accounts"):
        add_evidence(ws, incident, table, world_files[table])
    app = app_for(incident=incident)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        assert "No analysis yet" in screen_text(app)
        done = analyze_incident(ws, incident)
        app.screen.read()  # what the live poller does when another process writes
        await settle(pilot)
        pane = app.screen.query_one(AccountsPane)
        assert pane.findings is not None and pane.findings.analysis_id == done.analysis_id
        assert app.screen.query_one(ClustersPane).findings is pane.findings
        assert done.analysis_id in screen_text(app)


async def test_palette_runs_a_findings_action_on_its_tab(
    ws: Workspace, analysed: str, app_for: AppFactory
) -> None:
    app = app_for(incident=analysed)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#tabs").active == "tab-overview"
        await pilot.press("ctrl+p", *"verdict filter")
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        pane = app.screen.query_one(AccountsPane)
        assert pane.verdict == "alert"
        assert app.screen.query_one("#tabs").active == "tab-accounts"


async def test_findings_keys_are_remapped_by_action_id(
    ws: Workspace, analysed: str, app_for: AppFactory
) -> None:
    from ircli.tui.actions import tui_settings

    settings = tui_settings({"keys": {"accounts.sort": "z", "accounts.verdict": "ctrl+w"}})
    app = app_for(incident=analysed, settings=settings)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("3", "o", "w")
        pane = app.screen.query_one(AccountsPane)
        assert pane.sort_key == "verdict" and pane.verdict is None
        await pilot.press("z", "ctrl+w")
        assert pane.sort_key == "score" and pane.verdict == "alert"


def test_verdict_counts_carry_their_verdicts_colour() -> None:
    # The summary line and the clusters table show "3 alert": coloured as "alert" is, where
    # looking the colour up by the whole label left every count uncoloured.
    from ircli.services.findings import ClusterFinding
    from ircli.tui.clusters import _verdicts
    from ircli.tui.findings import VERDICT_STYLES, verdict_cell

    cell = verdict_cell("alert", "3 alert")
    assert cell.plain == "3 alert"
    assert str(cell.style) == VERDICT_STYLES["alert"]
    cluster = ClusterFinding("CL-1", 4, 0.9, {"alert": 3, "watch": 1}, 10, ("a",), ())
    line = _verdicts(cluster)
    assert line.plain == "3 alert 1 watch"
    styles = {line.plain[s.start : s.end]: str(s.style) for s in line.spans}
    assert styles == {"3 alert": VERDICT_STYLES["alert"], "1 watch": VERDICT_STYLES["watch"]}
