"""The incident projection names the playbook whichever way its run began."""

from __future__ import annotations

from ircli.services.incidents import get_incident, open_incident
from ircli.services.workspace import Workspace


def test_playbook_started_later_names_the_playbook(ws: Workspace) -> None:
    state = open_incident(ws, title="Harvesting from a reseller", subjects=["acct-1"])
    assert get_incident(ws, state.id).playbook is None
    ws.store.append(state.id, "playbook.started", {"playbook": "distillation"}, ws.actor)
    assert get_incident(ws, state.id).playbook == "distillation"


def test_playbook_from_the_opening_event_stays_without_a_start(ws: Workspace) -> None:
    state = open_incident(ws, title="t", playbook="ratelimit-evasion")
    ws.store.append(state.id, "playbook.started", {}, ws.actor)  # a payload without a name
    assert get_incident(ws, state.id).playbook == "ratelimit-evasion"
