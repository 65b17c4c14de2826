"""The pure engine: same journal, same answer; no I/O, no front-end imports."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from ircli.core.events import GENESIS_HASH, Event, seal
from ircli.playbooks.engine import next_move, project_run
from ircli.playbooks.loader import load_playbook_text

BOOK = load_playbook_text(
    """\
playbook: tiny
title: Tiny
steps:
  - id: ask
    kind: form
    title: Ask
    instructions: Give the number of accounts you were alerted about.
    fields:
      - {name: n, label: Accounts, type: integer}
  - id: pull
    kind: collect
    title: Pull
    instructions: Pull the logs of the accounts.
    uses: evidence.pull
    when: "vars.n > 0"
  - id: choose
    kind: decide
    title: Choose
    instructions: Decide.
    options:
      - {id: again, label: Again, next: pull, max_loops: 1}
      - {id: done, label: Done, next: end}
""",
    "tiny.yaml",
)


class Journal:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, type_: str, payload: dict[str, Any], actor: str = "alice") -> None:
        prev = self.events[-1].hash if self.events else GENESIS_HASH
        self.events.append(
            seal(
                "INC-0001",
                len(self.events) + 1,
                "2026-03-01T09:00:00.000000Z",
                actor,
                type_,
                payload,
                prev,
            )
        )


def _step(type_: str, step: str, visit: int = 1, **extra: Any) -> dict[str, Any]:
    return {"playbook": "tiny", "step": step, "visit": visit, **extra}


def test_projection_walks_the_journal() -> None:
    j = Journal()
    assert project_run(BOOK, "INC-0001", j.events).status == "not-started"
    j.add("incident.opened", {"title": "t"})
    j.add("playbook.started", {"playbook": "tiny", "inputs": {}})
    run = project_run(BOOK, "INC-0001", j.events)
    assert (run.status, run.current, run.steps["ask"].state) == (
        "waiting-for-input",
        "ask",
        "waiting-for-input",
    )
    assert next_move(BOOK, run).kind == "input"

    j.add("step.completed", _step("", "ask", outputs={"n": 0}, next="pull"))
    run = project_run(BOOK, "INC-0001", j.events)
    move = next_move(BOOK, run)
    assert (move.kind, move.next) == ("skip", "choose")  # when: vars.n > 0 is false

    j.add("step.skipped", _step("", "pull", reason="n is 0", next="choose"))
    j.add("step.completed", _step("", "ask", outputs={"n": 99}, next="end"))  # stale: ignored
    run = project_run(BOOK, "INC-0001", j.events)
    assert run.current == "choose" and run.steps["pull"].state == "skipped"
    assert run.variables()["vars"] == {"n": 0}

    j.add(
        "decision.recorded",
        _step("", "choose", option="again", rationale="r", evidence=[], subject="s"),
    )
    run = project_run(BOOK, "INC-0001", j.events)
    assert next_move(BOOK, run).kind == "complete"
    j.add("step.completed", _step("", "choose", option="again", outputs={}, next="pull"))
    run = project_run(BOOK, "INC-0001", j.events)
    assert (run.current, run.visit) == ("pull", 2)
    j.add("step.started", _step("", "pull", visit=2))
    run = project_run(BOOK, "INC-0001", j.events)
    assert run.steps["pull"].state == "running"
    # A started step with no completion was interrupted: the move is to run it again.
    assert next_move(BOOK, run).kind == "run"


def test_projection_is_deterministic() -> None:
    j = Journal()
    j.add("incident.opened", {"title": "t"})
    j.add("playbook.started", {"playbook": "tiny", "inputs": {"n": 3}})
    j.add("step.completed", _step("", "ask", outputs={"n": 3}, next="pull"))
    first = json.dumps(project_run(BOOK, "INC-0001", j.events).to_dict(), sort_keys=True)
    again = json.dumps(project_run(BOOK, "INC-0001", list(j.events)).to_dict(), sort_keys=True)
    assert first == again


def test_engine_and_services_import_no_front_end() -> None:
    code = (
        "import sys, ircli.playbooks.engine, ircli.playbooks.loader, ircli.services.runs;"
        "bad = [m for m in ('click', 'textual', 'rich', 'httpx', 'duckdb', 'pyarrow') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_does_not_load_the_playbook_machinery() -> None:
    code = (
        "import sys\nfrom ircli.cli.main import run\nrun(['--help'])\n"
        "print(','.join(m for m in ('jinja2', 'jsonschema', 'yaml', 'ircli.playbooks.engine') if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == ""


def test_the_playbook_layer_imports_no_outer_layer() -> None:
    code = (
        "import sys, ircli.playbooks.engine, ircli.playbooks.loader, ircli.playbooks.cacao, "
        "ircli.playbooks.forms, ircli.playbooks.journal;"
        "print(','.join(m for m in sys.modules if m.startswith(('ircli.services', 'ircli.store', 'ircli.cli', 'ircli.evidence'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
