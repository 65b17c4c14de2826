"""The playbook's steps as a front end shows them: name, kind and state.

Front ends call :func:`incident_steps` and :func:`current_step` and never reach into
the playbook engine. The steps come from the incident's playbook run (the engine's
projection of the journal); an incident without a run has no steps. Another engine
(an embedding application, a test) plugs in with :func:`register_step_source`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ircli.services.workspace import Workspace

STEP_STATES = (
    "done",
    "current",
    "waiting_input",
    "waiting_approval",
    "pending",
    "skipped",
    "failed",
)
"""Every state a step can be in, in the words the TUI shows."""


@dataclass(frozen=True, slots=True)
class StepView:
    """One step of an incident's playbook, as the steps pane lists it."""

    name: str
    kind: str
    state: str
    title: str = ""

    def __post_init__(self) -> None:
        if self.state not in STEP_STATES:
            raise ValueError(f"unknown step state {self.state!r}; one of {STEP_STATES}")

    @property
    def label(self) -> str:
        """What to call the step on screen: its title, else its name."""
        return self.title or self.name


StepSource = Callable[["Workspace", str], Sequence[StepView]]
"""``(ws, incident id) -> steps``, in playbook order."""

_source: StepSource | None = None


def register_step_source(source: StepSource | None) -> None:
    """Install the function that computes an incident's steps (``None`` removes it)."""
    global _source
    _source = source


def incident_steps(ws: Workspace, incident: str) -> list[StepView]:
    """The incident's playbook steps with their state; empty when it runs no playbook."""
    if _source is not None:
        return list(_source(ws, incident))
    return _from_engine(ws, incident)


_ENGINE_STATES = {
    "done": "done",
    "skipped": "skipped",
    "failed": "failed",
    "waiting-for-input": "waiting_input",
    "waiting-for-approval": "waiting_approval",
    "running": "current",
    "ready": "current",
    "pending": "pending",
}


def _from_engine(ws: Workspace, incident: str) -> list[StepView]:
    # Most incidents on a board run no playbook: answer those without importing the
    # engine (YAML, Jinja2, JSON Schema), which would slow the TUI's first frame.
    if next(ws.store.events(incident, types=["playbook.started"]), None) is None:
        return []
    from ircli.errors import ValidationError
    from ircli.services.runstate import run_state

    try:
        _, run = run_state(ws, incident)
    except ValidationError:
        return []  # no playbook run on this incident (yet)
    steps = []
    for status in run.steps.values():
        state = _ENGINE_STATES.get(status.state, "pending")
        if status.id == run.current and state == "pending":
            state = "current"
        steps.append(StepView(status.id, status.kind, state, status.title))
    return steps


def current_step(steps: Sequence[StepView]) -> StepView | None:
    """The step the responder is on: the first one that is neither done nor skipped."""
    for step in steps:
        if step.state not in ("done", "skipped"):
            return step
    return None
