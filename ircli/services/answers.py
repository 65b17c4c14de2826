"""Answers files: the human side of a playbook, written down in advance for automation.

One YAML (or JSON) mapping from step id to the answer of that step::

    intake: {seeds: [acct-1, acct-2], window: 14d}    # form: field → value
    exculpatory: true                                 # check: every item ticked
    notify: [legal, leadership]                       # check: these items ticked
    classify:                                         # decide
      option: campaign
      rationale: Shared payment fingerprints across 3 orgs; CoT share 0.91
      evidence: [EV-0003]
    close: {summary: Campaign contained and reported}

Steps of a playbook that a run hands over to are answered under
``PLAYBOOK.STEP`` (e.g. ``ratelimit-evasion.intake``) when their ids repeat.
A decide step reached several times (a bounded loop) may take a list of decisions:
the first is used on the first visit, the second on the second, and so on (the
last one repeats). A form with no answer completes from ``--input`` values and
defaults when they cover every required field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ircli.errors import NotFoundError, ValidationError
from ircli.playbooks.forms import coerce_value, missing_fields
from ircli.playbooks.model import Option, Step
from ircli.services.responders import DecisionInput

__all__ = ["AnswersResponder", "coerce_value", "read_answers"]

MAX_ANSWERS_BYTES = 5_000_000


def read_answers(path: Path) -> dict[str, Any]:
    """Load an answers file safely; every problem is a one-line :class:`ValidationError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"no answers file {path}") from exc
    except OSError as exc:
        raise ValidationError(f"cannot read answers file {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_ANSWERS_BYTES:
        raise ValidationError(f"{path}: answers file is larger than {MAX_ANSWERS_BYTES} bytes")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ValidationError(f"{where}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ValidationError(
            f"{path}: an answers file is a mapping from step id to answer",
            hint="e.g. classify: {option: campaign, rationale: ...}",
        )
    return data


class AnswersResponder:
    """A :class:`~ircli.services.runs.Responder` that answers from an answers mapping."""

    def __init__(self, answers: dict[str, Any] | None = None, *, source: str = "answers") -> None:
        self.answers = answers or {}
        self.source = source

    def lookup(self, playbook: str, step: Step) -> Any:
        """The answer for ``playbook.step`` if given, else for ``step``."""
        qualified = f"{playbook}.{step.id}"
        return self.answers[qualified] if qualified in self.answers else self.answers.get(step.id)

    def has(self, playbook: str, step: Step) -> bool:
        """Whether the file answers this step."""
        return f"{playbook}.{step.id}" in self.answers or step.id in self.answers

    def _bad(self, step: Step, expected: str) -> ValidationError:
        return ValidationError(
            f"{self.source}: the answer for step '{step.id}' must be {expected}",
            hint=f"see the step with: ircli playbook show PLAYBOOK --step {step.id}",
        )

    def form(
        self, playbook: str, step: Step, values: dict[str, Any], instructions: str
    ) -> dict[str, Any] | None:
        """Field values from the file, or the defaults when they are enough."""
        answer = self.lookup(playbook, step)
        if answer is None:
            return {} if not missing_fields(step, values) else None
        if not isinstance(answer, dict):
            raise self._bad(step, "a mapping of field → value")
        return dict(answer)

    def check(self, playbook: str, step: Step, instructions: str) -> list[str] | None:
        """Ticked items: ``true`` ticks all, a list ticks those."""
        answer = self.lookup(playbook, step)
        if answer is None or answer is False:
            return None
        if answer is True:
            return [i.id for i in step.items]
        if isinstance(answer, dict):
            answer = answer.get("ticked")
        if not isinstance(answer, list):
            raise self._bad(step, "true or a list of item ids")
        return [str(a) for a in answer]

    def decide(
        self, playbook: str, step: Step, options: list[Option], visit: int, instructions: str
    ) -> DecisionInput | None:
        """The decision for this visit."""
        answer = self.lookup(playbook, step)
        if answer is None:
            return None
        if isinstance(answer, list):
            if not answer:
                return None
            answer = answer[min(visit, len(answer)) - 1]
        if not isinstance(answer, dict) or "option" not in answer:
            raise self._bad(step, "a mapping with option and rationale (or a list of them)")
        evidence = answer.get("evidence", [])
        if isinstance(evidence, str):
            evidence = [evidence]
        if not isinstance(evidence, list):
            raise self._bad(step, "a decision whose evidence is a list of ids")
        return DecisionInput(
            str(answer["option"]), str(answer.get("rationale", "")), tuple(str(e) for e in evidence)
        )

    def note(self, playbook: str, step: Step, instructions: str) -> str | None:
        """The note's text."""
        answer = self.lookup(playbook, step)
        if isinstance(answer, dict):
            answer = answer.get("text")
        if answer is None:
            return None
        if not isinstance(answer, str):
            raise self._bad(step, "text")
        return answer
