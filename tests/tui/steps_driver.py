"""Driving the step card with Pilot: answer each kind of step the way a responder would,
through the real dialogs, and compare journals with an automated run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, SelectionList, TextArea

from ircli.services.current_step import CurrentStep
from ircli.services.workspace import Workspace
from ircli.tui.step_card import StepCard
from ircli.tui.step_dialogs import (
    ChecklistDialog,
    ConfirmActionDialog,
    DecideDialog,
    StepFormDialog,
)
from tests.tui.helpers import settle

VOLATILE = {"ts", "hash", "prev_hash", "seq", "actor"}


def card(pilot: Pilot[Any]) -> StepCard:
    """The step card of the incident on screen."""
    return pilot.app.screen.query_one(StepCard)


async def until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 20.0, what: str = ""
) -> None:
    """Wait (letting workers run) until ``condition`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what or condition}"
        await pilot.pause(0.05)


async def at_step(pilot: Pilot[Any], step: str, needs: str, timeout: float = 30.0) -> CurrentStep:
    """Wait until the card shows ``step`` needing ``needs``."""

    def ready() -> bool:
        c = card(pilot)
        return not c.running and c.step is not None and c.step.id == step and c.step.needs == needs

    await until(pilot, ready, timeout, f"step {step} ({needs})")
    await settle(pilot)
    current = card(pilot).step
    assert current is not None
    return current


async def fill_form(pilot: Pilot[Any], values: dict[str, str]) -> None:
    """ctrl+r opens the form; type the values; ctrl+s."""
    await pilot.press("ctrl+r")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, StepFormDialog)
    for name, value in values.items():
        widget = dialog.query_one(f"#field-{name}")
        if isinstance(widget, TextArea):
            widget.text = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    await pilot.press("ctrl+s")
    await pilot.pause()  # the run goes on in a worker: at_step waits for it


async def tick_all(pilot: Pilot[Any]) -> None:
    """ctrl+r opens the checklist; tick every item; ctrl+s."""
    await pilot.press("ctrl+r")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ChecklistDialog)
    dialog.query_one(SelectionList).select_all()
    await pilot.press("ctrl+s")
    await pilot.pause()  # the run goes on in a worker: at_step waits for it


async def decide(pilot: Pilot[Any], option: str, rationale: str) -> None:
    """d opens the decision; choose ``option``, write the rationale; ctrl+s."""
    await pilot.press("d")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, DecideDialog)
    for button in dialog.query(RadioButton):
        if button.name == option:
            button.value = True
    dialog.query_one("#decide-rationale", TextArea).text = rationale
    await pilot.press("ctrl+s")
    await pilot.pause()  # the run goes on in a worker: at_step waits for it


async def confirm(pilot: Pilot[Any], phrase: str) -> ConfirmActionDialog:
    """ctrl+r opens the confirmation; type the phrase; enter. Returns the dialog."""
    await pilot.press("ctrl+r")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmActionDialog), 20, "confirm")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ConfirmActionDialog)
    await pilot.press(*phrase)
    await pilot.press("enter")
    await pilot.pause()
    return dialog


def shape(events: Iterable[Any]) -> list[tuple[str, Any]]:
    """Event types with the payload parts that must match between two runs of the same
    answers: decisions, step transitions and outcomes (ids, times and actors aside)."""
    out: list[tuple[str, Any]] = []
    for event in events:
        p = event.payload
        if event.type == "decision.recorded":
            key: Any = (p.get("step"), p.get("option"), p.get("rationale"))
        elif event.type.startswith("step.") or event.type.startswith("playbook."):
            key = (p.get("step"), p.get("visit"), p.get("next"), p.get("option"))
        elif event.type in ("approval.requested", "approval.granted"):
            key = (p.get("step"), p.get("required"))
        elif event.type in ("incident.closed", "note.added"):
            key = p.get("summary") or p.get("text")
        elif event.type == "subjects.added":
            key = tuple(p.get("accounts") or ())
        else:
            key = None
        out.append((event.type, key))
    return out


async def start_playbook(pilot: Pilot[Any]) -> None:
    """p lists the playbooks (a worker reads and validates them); ctrl+s starts the one
    preselected (distillation)."""
    from ircli.tui.step_dialogs import StartPlaybookDialog

    await pilot.press("p")
    await until(pilot, lambda: isinstance(pilot.app.screen, StartPlaybookDialog), what="dialog")
    await settle(pilot)
    await pilot.press("ctrl+s")
    await pilot.pause()


def answered_run(
    responder: Workspace, approvers: tuple[Workspace, Workspace], title: str, answers: Any
) -> str:
    """The distillation playbook run non-interactively with ``answers`` (what
    ``ircli run --answers FILE`` does), ``contain`` approved by both approvers and the
    report by the first; returns the incident id."""
    from ircli.services.answers import AnswersResponder
    from ircli.services.approvals import approve
    from ircli.services.incidents import open_incident
    from ircli.services.runs import advance, start_run

    first, second = approvers
    incident = open_incident(responder, title=title).id
    start_run(responder, "distillation", incident=incident)
    answered = AnswersResponder(answers)
    advance(responder, incident, answered)
    approve(first, incident, "contain")
    approve(second, incident, "contain")
    advance(responder, incident, answered)
    approve(first, incident, "report")
    assert advance(responder, incident, answered).status == "completed"
    return incident
