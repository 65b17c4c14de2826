"""The step card walks the distillation playbook from the keyboard (fake step handlers,
no servers): forms, checklists, the decision, approvals from other responders, typed
confirmations — and writes the same journal as the automated run of the same answers.
Also: cancelling a running step, failures as one-line notifications, hostile text."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Button, Input, Markdown

from ircli.config import Config
from ircli.services.answers import AnswersResponder
from ircli.services.approvals import approve
from ircli.services.incidents import open_incident
from ircli.services.runs import advance, start_run
from ircli.services.steps import StepContext, StepResult, register_handler, unregister_handler
from ircli.services.workspace import Workspace
from ircli.tui.step_dialogs import ConfirmActionDialog
from tests.playbooks.playbook_handlers import HANDLERS, register_all
from tests.tui.helpers import make_app, screen_bytes, screen_text, settle
from tests.tui.steps_driver import (
    answered_run,
    at_step,
    card,
    confirm,
    decide,
    fill_form,
    shape,
    start_playbook,
    tick_all,
    until,
)
from tests.tui.test_hostile_text import PAYLOADS

IRCLI = (sys.executable, "-m", "ircli", "--store")
ANSWERS: dict[str, Any] = {
    "intake": {"seeds": "acct-1, acct-2", "window": "14d"},
    "exculpatory": True,
    "classify": {"option": "campaign", "rationale": "Shared payment fingerprints across orgs"},
    "notify": True,
    "close": {"summary": "Campaign contained and reported"},
}


@pytest.fixture(autouse=True)
def handlers() -> Iterator[None]:
    register_all()
    yield
    for name in HANDLERS:
        unregister_handler(name)


def _as(ws: Workspace, actor: str) -> Workspace:
    return Workspace(ws.store_path, Config(), actor, ws.clock)


async def test_the_card_walks_the_playbook_like_an_answers_file(ws: Workspace) -> None:
    open_incident(ws, title="Hydra cluster from the detector")
    bob, carol = _as(ws, "bob"), _as(ws, "carol")
    app = make_app(ws, incident="INC-0001")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert card(pilot).step is None and not card(pilot).display
        await start_playbook(pilot)  # distillation is preselected
        await at_step(pilot, "intake", "input")
        assert card(pilot).display
        await fill_form(pilot, {"seeds": "acct-1, acct-2"})
        await at_step(pilot, "exculpatory", "input")
        text = screen_text(app)
        assert "Expand the account cluster: analysis.expand ran" in text  # results
        await tick_all(pilot)
        await at_step(pilot, "classify", "input")
        await decide(pilot, "campaign", ANSWERS["classify"]["rationale"])
        waiting = await at_step(pilot, "contain", "approval")
        assert waiting.approval is not None and waiting.approval.missing == 2
        assert "waiting for approval by a second responder" in screen_text(app)
        # The requester cannot approve their own request: one line, no traceback.
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("two-person rule" in str(n.message) for n in app._notifications)
        approve(bob, "INC-0001", "contain")
        approve(carol, "INC-0001", "contain")
        app.screen.read()
        ready = await at_step(pilot, "contain", "confirm")
        assert ready.preview is not None and ready.preview.count == 2
        # The confirmation needs the incident id typed exactly.
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmActionDialog))
        await settle(pilot)
        dialog = app.screen
        assert dialog.query_one("#submit", Button).disabled
        assert "Terminate 2 account(s)" in screen_text(app)
        await pilot.press(*"INC-0002", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmActionDialog)  # wrong phrase: still open
        await pilot.press("escape")
        await settle(pilot)
        assert (await at_step(pilot, "contain", "confirm")).id == "contain"  # nothing ran
        await confirm(pilot, "INC-0001")
        await at_step(pilot, "report", "approval")
        approve(bob, "INC-0001", "report")
        app.screen.read()
        await at_step(pilot, "report", "confirm")
        await confirm(pilot, "INC-0001")
        await at_step(pilot, "notify", "input")
        await tick_all(pilot)
        await at_step(pilot, "close", "input")
        await fill_form(pilot, {"summary": ANSWERS["close"]["summary"]})
        await at_step(pilot, "", "done")
    # The automated run of the same answers, approved by the same two-person rule.
    reference = answered_run(ws, (bob, carol), "Hydra cluster from the detector", ANSWERS)
    assert shape(ws.store.events("INC-0001")) == shape(ws.store.events(reference))
    assert ws.store.verify("INC-0001").ok  # type: ignore[attr-defined]
    bob.close()
    carol.close()


class _Slow:
    """A step that takes its time, reports progress and honours cancellation."""

    def __init__(self) -> None:
        self.started = threading.Event()

    def run(self, ctx: StepContext) -> StepResult:
        self.started.set()
        for i in range(200):
            if ctx.cancel.is_set():
                from ircli.errors import IrcliError

                raise IrcliError("evidence pull cancelled", hint="run the step again to resume")
            ctx.progress(i / 200, f"{i} of 200 pages")
            ctx.cancel.wait(0.05)
        return StepResult({}, "slow done")


async def _to_preserve(pilot: Any) -> None:
    await at_step(pilot, "intake", "input")
    await fill_form(pilot, {"seeds": "acct-1"})


async def test_a_running_step_shows_progress_and_can_be_cancelled(ws: Workspace) -> None:
    slow = _Slow()
    register_handler("evidence.pull", slow)
    open_incident(ws, title="Cancel me")
    start_run(ws, "distillation", incident="INC-0001")
    app = make_app(ws, incident="INC-0001")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await at_step(pilot, "intake", "input")
        await pilot.press("ctrl+r")
        await settle(pilot)
        app.screen.query_one("#field-seeds", Input).value = "acct-1"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: slow.started.is_set() and card(pilot).running)
        await until(pilot, lambda: "of 200 pages" in screen_text(app), what="progress")
        assert "ctrl+x cancels" in screen_text(app)
        await pilot.press("ctrl+x")
        await until(pilot, lambda: not card(pilot).running, what="cancel")
        await settle(pilot)
        messages = [str(n.message) for n in app._notifications]
        assert any("Cancelled" in m for m in messages)
        assert any(
            "evidence pull cancelled — run the step again to resume" in m for m in messages
        ), messages
        assert not any("Traceback" in m for m in messages)
        # The step failed cleanly and is offered again.
        step = await at_step(pilot, "preserve", "run")
        assert step.reason == "evidence pull cancelled"


class _Broken:
    def run(self, ctx: StepContext) -> StepResult:
        raise KeyError("records")


async def test_a_failing_step_is_one_line_with_a_hint(ws: Workspace) -> None:
    register_handler("evidence.pull", _Broken())
    open_incident(ws, title="Broken handler")
    start_run(ws, "distillation", incident="INC-0001")
    app = make_app(ws, incident="INC-0001")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _to_preserve(pilot)
        await at_step(pilot, "preserve", "run")
        messages = [str(n.message) for n in app._notifications]
        line = next(m for m in messages if "step 'preserve' failed" in m)
        assert "KeyError" in line and "run again to retry the step" in line
        assert "\n" not in line and "Traceback" not in line


class _Says:
    """A handler whose outputs and summary carry attacker text (as a log source's may)."""

    def __init__(self, outputs: dict[str, Any], summary: str) -> None:
        self.outputs, self.summary = outputs, summary

    def run(self, ctx: StepContext) -> StepResult:
        return StepResult(dict(self.outputs), self.summary)


async def test_hostile_journal_text_in_the_card_is_inert(ws: Workspace) -> None:
    payloads = [p for p, _ in PAYLOADS.values()]
    hostile = " ".join(payloads)
    open_incident(ws, title="Hostile analysis")
    start_run(ws, "distillation", incident="INC-0001")
    # The exculpatory step's instructions quote analysis.alert_accounts; the results
    # list quotes the intel step's summary.
    register_handler("analysis.assess", _Says({"alert_accounts": f"X {hostile}"}, "assessed"))
    register_handler("intel.match", _Says({}, f"S {hostile}"))
    answers = {"intake": ANSWERS["intake"]}
    advance(ws, "INC-0001", AnswersResponder(answers))
    app = make_app(ws, incident="INC-0001")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        step = await at_step(pilot, "exculpatory", "input")
        assert "X " in step.instructions
        sent = screen_bytes(app)
        for _payload, forbidden in PAYLOADS.values():
            for sequence in forbidden:
                assert sequence not in sent, sequence
        text = screen_text(app)
        # Shown literally: markup as text, control characters as visible stand-ins.
        assert "[bold red]ALERT[/bold red]" in text
        assert "pre␛[2Jpost" in text
        assert "S [bold red]ALERT[/bold red]" in text
        # No link reached the Markdown from the journal.
        md = app.screen.query_one("#step-instructions", Markdown)
        assert "evil.example" not in "".join(str(getattr(b, "href", "")) for b in md.query("*"))


async def test_a_second_responder_approves_in_the_tui(ws: Workspace) -> None:
    open_incident(ws, title="Approve me")
    start_run(ws, "distillation", incident="INC-0001")
    advance(ws, "INC-0001", AnswersResponder(ANSWERS))  # alice asks for approval of contain
    bob = _as(ws, "bob")
    app = make_app(bob, incident="INC-0001")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await at_step(pilot, "contain", "approval")
        assert app.screen.query_one("#step-approve", Button).display  # not bob's request
        await pilot.press("a")
        await settle(pilot)
        assert "Requested by alice" in screen_text(app)
        assert "Terminate 2 account(s)" in screen_text(app)  # what bob approves
        app.screen.query_one("#approve-comment", Input).value = "scope checked"
        await pilot.press("ctrl+s")
        step = await at_step(pilot, "contain", "approval")
        assert step.approval is not None and step.approval.granted_by == ("bob",)
        assert any("1 more needed" in str(n.message) for n in app._notifications)
    granted = [e for e in ws.store.events("INC-0001", types=["approval.granted"])]
    assert [(e.actor, e.payload["comment"]) for e in granted] == [("bob", "scope checked")]
    bob.close()


async def test_an_approval_from_another_process_unblocks_the_card(ws: Workspace) -> None:
    open_incident(ws, title="Waiting for bob")
    start_run(ws, "distillation", incident="INC-0001")
    advance(ws, "INC-0001", AnswersResponder(ANSWERS))
    app = make_app(ws, incident="INC-0001", live=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await at_step(pilot, "contain", "approval")
        assert "waiting for approval by a second responder" in screen_text(app)
        for approver in ("bob", "carol"):
            done = subprocess.run(
                [*IRCLI, str(ws.store_path), "--as", approver, "approve", "INC-0001", "contain"],
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
            )
            assert done.returncode == 0, done.stderr
        step = await at_step(pilot, "contain", "confirm", timeout=15)
        assert step.approval is not None and step.approval.granted_by == ("bob", "carol")
        assert "ready — confirm to run" in screen_text(app)
        assert any("press ctrl+r to continue" in str(n.message) for n in app._notifications)
