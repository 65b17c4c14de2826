"""The services the TUI reads through: journal slices, topics, the board, steps."""

from __future__ import annotations

import pytest

from ircli.services.incidents import add_note, open_incident
from ircli.services.journal import (
    incident_board,
    journal_version,
    read_journal,
    section_of,
    sibling,
)
from ircli.services.step_states import StepView, current_step, incident_steps
from ircli.services.workspace import Workspace


def test_read_journal_in_slices_matches_one_read(ws: Workspace) -> None:
    state = open_incident(ws, title="t", subjects=["a"])
    for i in range(9):
        add_note(ws, state.id, f"note {i}")
    ws.store.append(state.id, "subjects.added", {"accounts": ["a", "b"]}, "alice")
    whole = read_journal(ws, state.id)
    first = read_journal(ws, state.id, limit=4)
    rest = read_journal(ws, state.id, after_seq=first.head_seq, state=first.incident)
    assert first.head_seq == 4 and first.incident.notes == 3
    assert [e.seq for e in first.entries + rest.entries] == [e.seq for e in whole.entries]
    assert rest.incident == whole.incident
    assert first.incident.notes == 3  # the earlier state was copied, not changed
    assert [n.text for n in first.notes + rest.notes] == [f"note {i}" for i in range(9)]
    assert [s.account for s in whole.subjects] == ["a", "b"]  # "a" is not listed twice


def test_read_journal_stops_when_asked(ws: Workspace) -> None:
    state = open_incident(ws, title="t")
    ws.store.append_many(state.id, [("note.added", {"text": str(i)}) for i in range(2000)], "a")
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    delta = read_journal(ws, state.id, should_stop=stop)
    assert 0 < len(delta.entries) < 2001


@pytest.mark.parametrize(
    ("event_type", "section"),
    [
        ("evidence.added", "evidence"),
        ("analysis.account_scored", "accounts"),
        ("analysis.completed", "clusters"),
        ("decision.recorded", "decisions"),
        ("approval.granted", "decisions"),
        ("action.target_failed", "actions"),
        ("report.submitted", "actions"),
        ("note.added", None),
    ],
)
def test_event_types_fall_into_their_tab(event_type: str, section: str | None) -> None:
    assert section_of(event_type) == section


def test_board_rows_do_not_read_notes_yet_stay_right(ws: Workspace) -> None:
    state = open_incident(ws, title="first", subjects=["a", "b"], severity="sev1")
    open_incident(ws, title="second")
    add_note(ws, state.id, "n")
    rows = incident_board(ws)
    assert [r.id for r in rows] == ["INC-0002", "INC-0001"]
    first = rows[1]
    assert (first.title, first.severity, first.accounts, first.step) == ("first", "sev1", 2, "")
    assert first.updated == next(ws.store.events(state.id, after_seq=1)).ts


def test_version_changes_when_another_connection_writes(ws: Workspace) -> None:
    state = open_incident(ws, title="t")
    with sibling(ws) as watcher:
        before = journal_version(watcher)
        add_note(ws, state.id, "from another connection")
        assert journal_version(watcher) != before


def test_steps_are_empty_without_a_playbook_run(ws: Workspace) -> None:
    state = open_incident(ws, title="t")
    assert incident_steps(ws, state.id) == []
    assert current_step([]) is None
    steps = [StepView("a", "form", "done"), StepView("b", "decide", "waiting_input")]
    assert current_step(steps) == steps[1]
    with pytest.raises(ValueError, match="unknown step state"):
        StepView("c", "form", "finished")


def test_a_registered_step_source_replaces_the_engine(ws: Workspace) -> None:
    from ircli.services.step_states import register_step_source

    state = open_incident(ws, title="t")
    register_step_source(lambda _ws, _inc: [StepView("x", "check", "failed", "X")])
    try:
        assert [s.label for s in incident_steps(ws, state.id)] == ["X"]
        assert incident_board(ws)[0].step == "X"
    finally:
        register_step_source(None)


def test_timeline_lines_use_every_part_s_wording(ws: Workspace) -> None:
    state = open_incident(ws, title="t")
    ws.store.append(
        state.id,
        "decision.recorded",
        {"step": "classify", "option": "contain", "rationale": "shared cards"},
        "alice",
    )
    delta = read_journal(ws, state.id)
    assert delta.entries[-1].message.startswith("Decided 'contain' on step 'classify'")
    assert delta.sections["decisions"] == [delta.entries[-1]]
