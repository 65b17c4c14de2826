"""Snapshot tests: how each screen looks at 80x24 and 160x48, on a deterministic store.

Review the SVGs in ``__snapshots__`` like code; update them with
``pytest tests/tui/test_snapshots.py --snapshot-update`` when a change is intended.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from ircli.services.incidents import add_note, open_incident
from ircli.services.steps import StepContext, StepResult, register_handler
from ircli.services.workspace import Workspace
from tests.tui.helpers import make_app, settle

SIZES = [(80, 24), (160, 48)]
TABS = ["overview", "evidence", "accounts", "clusters", "decisions", "actions", "timeline"]


def _world(ws: Workspace) -> None:
    state = open_incident(
        ws,
        title="CoT harvesting through a hydra cluster of trial accounts",
        severity="sev2",
        tlp="AMBER",
        subjects=["acct-demo-0001", "acct-demo-0002", "acct-demo-0003"],
        description="Three trial accounts ask for the reasoning behind finished answers.",
    )
    open_incident(
        ws, title="Rate-limit evasion from one reseller org", severity="sev4", tlp="GREEN"
    )
    add_note(ws, state.id, "Paged by the distillation detector; seeds taken from the alert.")
    store = ws.store
    store.append(
        state.id,
        "evidence.added",
        {
            "evidence_id": "EV-1",
            "source": "logs",
            "records": 1200,
            "quarantined": 3,
            "parquet_sha256": "ab" * 32,
        },
        "alice",
    )
    store.append(
        state.id,
        "decision.recorded",
        {"step": "classify", "option": "campaign", "rationale": "shared payment fingerprints"},
        "alice",
    )
    store.append(state.id, "approval.granted", {"step": "classify", "subject": "cd" * 32}, "bob")
    store.append(
        state.id,
        "action.requested",
        {
            "step": "contain",
            "action": "terminate",
            "preview": {"targets": ["acct-demo-0001", "acct-demo-0002"], "excluded": []},
            "preview_hash": "ef" * 32,
        },
        "alice",
    )
    add_note(ws, state.id, "Second responder paged for approval.")


def _settled(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home(ws: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    _world(ws)
    assert snap_compare(make_app(ws), terminal_size=size, run_before=_settled())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_new_incident_dialog(ws: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    _world(ws)
    assert snap_compare(make_app(ws), terminal_size=size, run_before=_settled("n"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_panel(ws: Workspace, snap_compare: Any, size: tuple[int, int]) -> None:
    _world(ws)
    app = make_app(ws, incident="INC-0001")
    assert snap_compare(app, terminal_size=size, run_before=_settled("f1"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("tab", TABS)
def test_workspace_tab(ws: Workspace, snap_compare: Any, tab: str, size: tuple[int, int]) -> None:
    _world(ws)
    app = make_app(ws, incident="INC-0001")
    key = str(TABS.index(tab) + 1)
    assert snap_compare(app, terminal_size=size, run_before=_settled(key))


class _Terminate:
    """A termination whose dry run excludes accounts, as the real one does."""

    def preview(self, ctx: StepContext) -> dict[str, Any]:
        excluded = [
            {"account": "acct-partner-0009", "reason": "contract flag: synthetic_data_ok"},
            {"account": "acct-kyb-0010", "reason": "KYB-verified organisation"},
        ]
        return {
            "preview_hash": "ab" * 32,
            "summary": {
                "targets": 3,
                "excluded": 2,
                "exclusion_reasons": {e["reason"]: 1 for e in excluded},
                "ceiling": 5000,
                "over_ceiling": False,
            },
            "targets": ["acct-demo-0001", "acct-demo-0002", "acct-demo-0003"],
            "excluded": excluded,
        }

    def run(self, ctx: StepContext) -> StepResult:
        return StepResult({"terminated": 3}, "3 account(s) done")


def _run_to_contain(ws: Workspace, *, approved: bool) -> None:
    """The distillation run (fake handlers) stopped at the termination step."""
    from ircli.config import Config
    from ircli.services.answers import AnswersResponder
    from ircli.services.approvals import approve
    from ircli.services.runs import advance, start_run
    from tests.playbooks.playbook_handlers import register_all

    register_all()
    register_handler("accounts.terminate", _Terminate())
    open_incident(ws, title="CoT harvesting through a hydra cluster", subjects=[])
    start_run(ws, "distillation", incident="INC-0001")
    answers = {
        "intake": {"seeds": "acct-demo-0001, acct-demo-0002, acct-demo-0003", "window": "14d"},
        "exculpatory": True,
        "classify": {"option": "campaign", "rationale": "Shared payment fingerprints"},
    }
    advance(ws, "INC-0001", AnswersResponder(answers))
    if approved:
        for name in ("bob", "carol"):
            with Workspace(ws.store_path, Config(), name, ws.clock) as other:
                approve(other, "INC-0001", "contain")


@pytest.fixture
def fake_handlers() -> Any:
    from ircli.services.steps import unregister_handler
    from tests.playbooks.playbook_handlers import HANDLERS

    yield
    for name in HANDLERS:
        unregister_handler(name)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_step_card_waiting_for_approval(
    ws: Workspace, snap_compare: Any, size: tuple[int, int], fake_handlers: Any
) -> None:
    _run_to_contain(ws, approved=False)
    app = make_app(ws, incident="INC-0001")
    assert snap_compare(app, terminal_size=size, run_before=_settled())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_confirm_termination_dialog(
    ws: Workspace, snap_compare: Any, size: tuple[int, int], fake_handlers: Any
) -> None:
    _run_to_contain(ws, approved=True)
    app = make_app(ws, incident="INC-0001")
    assert snap_compare(app, terminal_size=size, run_before=_settled("ctrl+r", "I", "N"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("tab", ["evidence", "accounts", "clusters"])
def test_analysed_tab(
    ws: Workspace, analysed: str, snap_compare: Any, tab: str, size: tuple[int, int]
) -> None:
    app = make_app(ws, incident=analysed)
    key = str(TABS.index(tab) + 1)
    assert snap_compare(app, terminal_size=size, run_before=_settled(key))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_account_drill_down(
    ws: Workspace, analysed: str, snap_compare: Any, size: tuple[int, int]
) -> None:
    from ircli.services.findings import incident_findings
    from ircli.tui.accounts import AccountsPane

    found = incident_findings(ws, analysed)
    assert found is not None
    cluster = found.account("hydra-0").cluster or ""

    async def run_before(pilot: Pilot[Any]) -> None:
        await _settled("3")(pilot)
        pane = pilot.app.screen.query_one(AccountsPane)
        pane.filter_by(cluster=cluster)
        pane.sort_by("account", descending=False)
        pane.query_one("#findings").focus()
        await pilot.press("enter")
        await settle(pilot)

    app = make_app(ws, incident=analysed)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cluster_drill_down(
    ws: Workspace, analysed: str, snap_compare: Any, size: tuple[int, int]
) -> None:
    app = make_app(ws, incident=analysed)
    assert snap_compare(app, terminal_size=size, run_before=_settled("4", "enter"))
