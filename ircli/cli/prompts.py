"""Terminal prompts for a playbook run without the TUI (``ircli run --plain``, SSH sessions)."""

from __future__ import annotations

from typing import Any

import click

from ircli.cli.output import info
from ircli.core.text import inert
from ircli.services.answers import AnswersResponder, coerce_value
from ircli.services.responders import DecisionInput


class PromptResponder(AnswersResponder):
    """Answers from the answers file first, then asks the person at the terminal."""

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        super().__init__(answers, source="answers")

    def _header(self, step: Any, instructions: str) -> None:
        info("")
        info(f"== {step.title} ({step.kind}: {step.id})")
        info(instructions.strip())

    def form(
        self, playbook: str, step: Any, values: dict[str, Any], instructions: str
    ) -> dict[str, Any] | None:
        """Prompt for each field, with defaults; re-ask until the value is valid."""
        if self.has(playbook, step):
            return super().form(playbook, step, values, instructions)
        self._header(step, instructions)
        out: dict[str, Any] = {}
        for fld in step.fields:
            default = values.get(fld.name)
            if isinstance(default, list):
                default = ",".join(str(v) for v in default)
            label = fld.label + (f" [{'/'.join(fld.choices)}]" if fld.choices else "")
            while True:
                raw = click.prompt(
                    label,
                    default=default if default is not None else ("" if not fld.required else None),
                    show_default=default is not None,
                    err=True,
                )
                if raw in ("", None) and not fld.required:
                    break
                try:
                    out[fld.name] = coerce_value(fld, raw)
                    break
                except ValueError as exc:
                    info(f"  {inert(str(exc))}")
        return out

    def check(self, playbook: str, step: Any, instructions: str) -> list[str] | None:
        """Ask about each item; an unticked item leaves the step waiting."""
        if self.has(playbook, step):
            return super().check(playbook, step, instructions)
        self._header(step, instructions)
        ticked = [item.id for item in step.items if click.confirm(f"  {item.text}", err=True)]
        return ticked if len(ticked) == len(step.items) else None

    def decide(
        self, playbook: str, step: Any, options: list[Any], visit: int, instructions: str
    ) -> DecisionInput | None:
        """Pick an option by number, then a rationale and optional evidence ids."""
        if self.has(playbook, step):
            return super().decide(playbook, step, options, visit, instructions)
        self._header(step, instructions)
        for n, option in enumerate(options, 1):
            info(f"  {n}. {option.label} ({option.id})")
        choice = click.prompt("Option", type=click.IntRange(1, len(options)), err=True)
        rationale = ""
        while not rationale.strip():
            rationale = click.prompt("Rationale", err=True)
        evidence = click.prompt("Evidence ids (comma-separated)", default="", err=True)
        ids = tuple(e.strip() for e in str(evidence).split(",") if e.strip())
        return DecisionInput(options[choice - 1].id, rationale, ids)

    def note(self, playbook: str, step: Any, instructions: str) -> str | None:
        """Prompt for the note's text."""
        if self.has(playbook, step):
            return super().note(playbook, step, instructions)
        self._header(step, instructions)
        return str(click.prompt("Note", err=True))
