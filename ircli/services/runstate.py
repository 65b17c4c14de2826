"""Where an incident's playbook run stands, projected from its journal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ircli.core.canonical import canonical_json
from ircli.errors import ValidationError
from ircli.playbooks.engine import RUN_EVENT_TYPES, RunState, active_playbook, project_run
from ircli.playbooks.model import Playbook
from ircli.services.incidents import resolve_incident_id
from ircli.services.playbooks import load_playbook
from ircli.services.workspace import Workspace


def run_state(ws: Workspace, incident: str) -> tuple[Playbook, RunState]:
    """The incident's active playbook and where its run stands."""
    incident = resolve_incident_id(ws, incident)
    # The head first: if someone appends while we read, our appends are refused and retried.
    head_seq = ws.store.head(incident)[0]
    # Only the events a run depends on: an incident's journal may hold thousands of
    # evidence and ledger events that a projection of the playbook never needs.
    events = list(ws.store.events(incident, types=RUN_EVENT_TYPES))
    name = active_playbook(events)
    if name is None:
        raise ValidationError(
            f"{incident} has no playbook run",
            hint=f"start one: ircli run PLAYBOOK --incident {incident}",
        )
    # A run started from a file outside the search path recorded where that file is.
    source = next(
        (
            str(e.payload["source"])
            for e in reversed(events)
            if e.type == "playbook.started"
            and e.payload.get("playbook") == name
            and e.payload.get("source")
        ),
        None,
    )
    playbook = load_playbook(ws, source or name)
    run = project_run(playbook, incident, events)
    run.head_seq = head_seq
    return playbook, run


def start_payload(
    playbook: Playbook, inputs: Mapping[str, Any], origin: str | None = None
) -> dict[str, Any]:
    """The payload of ``playbook.started``; inputs must be JSON-able."""
    payload: dict[str, Any] = {
        "playbook": playbook.name,
        "version": playbook.version,
        "digest": playbook.digest,
        "inputs": dict(inputs),
    }
    if origin:
        payload["from"] = origin
    try:
        canonical_json(payload)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"inputs cannot be recorded: {exc}") from None
    return payload
