"""Responders: where the human side of a playbook step comes from.

An answers file (:mod:`ircli.services.answers`), terminal prompts (``ircli run --plain``)
and the TUI's forms each implement :class:`Responder`; the runner asks it for a form's
values, a checklist's ticks, a decision or a note, and waits when it has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ircli.playbooks.model import Option, Step


@dataclass(frozen=True)
class DecisionInput:
    """A responder's decision on a decide step."""

    option: str
    rationale: str
    evidence: tuple[str, ...] = ()


class Responder(Protocol):
    """Where the human side of steps comes from. ``None`` means "not now": the run waits.

    ``playbook`` names the playbook the step belongs to (a run can hand over to another
    playbook whose step ids repeat the first one's)."""

    def form(
        self, playbook: str, step: Step, values: dict[str, Any], instructions: str
    ) -> dict[str, Any] | None:
        """Values for a form (``values`` holds the defaults and inputs so far)."""
        ...

    def check(self, playbook: str, step: Step, instructions: str) -> list[str] | None:
        """The ids of the checklist items the responder ticked."""
        ...

    def decide(
        self, playbook: str, step: Step, options: list[Option], visit: int, instructions: str
    ) -> DecisionInput | None:
        """A decision among ``options`` (only those still allowed)."""
        ...

    def note(self, playbook: str, step: Step, instructions: str) -> str | None:
        """The text of a note."""
        ...


class NoResponder:
    """A responder that never answers: automated steps run, human steps wait."""

    def form(
        self, playbook: str, step: Step, values: dict[str, Any], instructions: str
    ) -> dict[str, Any] | None:
        """Never answers."""
        return None

    def check(self, playbook: str, step: Step, instructions: str) -> list[str] | None:
        """Never answers."""
        return None

    def decide(
        self, playbook: str, step: Step, options: list[Option], visit: int, instructions: str
    ) -> DecisionInput | None:
        """Never answers."""
        return None

    def note(self, playbook: str, step: Step, instructions: str) -> str | None:
        """Never answers."""
        return None
