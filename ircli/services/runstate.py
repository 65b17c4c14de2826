"""Where an incident's playbook run stands, projected from its journal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ircli.core.canonical import canonical_json
from ircli.errors import ValidationError
from ircli.playbooks.engine import RunState, active_playbook, project_run
from ircli.playbooks.model import Playbook
from ircli.services.incidents import resolve_incident_id
from ircli.services.playbooks import load_playbook
from ircli.services.workspace import Workspace


def run_state(ws: Workspace, incident: str) -> tuple[Playbook, RunState]:
    """The incident's active playbook and where its run stands."""
    incident = resolve_incident_id(ws, incident)
    events = list(ws.store.events(incident))
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
    return playbook, project_run(playbook, incident, events)


def start_payload(
    playbook: Playbook, inputs: Mapping[str, Any], origin: str | None = None
) -> dict[str, Any]:
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
