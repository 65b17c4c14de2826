"""The demo incident behind ``make demo``: a realistic start for a new user's walk-through."""

from __future__ import annotations

from pathlib import Path

from ircli.core.incident import Incident
from ircli.services.incidents import add_note, get_incident, list_incidents, open_incident
from ircli.services.workspace import Workspace

DEMO_TITLE = "CoT harvesting through a hydra cluster of trial accounts"

DEMO_SEEDS = ["acct-demo-0001", "acct-demo-0002", "acct-demo-0003"]


def demo_store_path(directory: Path) -> Path:
    """Where the demo keeps its store inside ``directory``."""
    return directory / "store.db"


def ensure_demo_incident(ws: Workspace) -> Incident:
    """Open the demo incident once; later calls return the existing one (idempotent)."""
    for existing in list_incidents(ws):
        if existing.title == DEMO_TITLE:
            return existing
    state = open_incident(
        ws,
        title=DEMO_TITLE,
        severity="sev2",
        tlp="AMBER",
        subjects=DEMO_SEEDS,
        description=(
            "Detection flagged three trial accounts whose requests ask the model to "
            "'explain the reasoning behind this finished answer' at a steady 26 requests "
            "per account per day, from residential-proxy exits."
        ),
    )
    add_note(ws, state.id, "Paged by the distillation detector; seeds taken from the alert.")
    return get_incident(ws, state.id)
