"""``ircli run`` and ``ircli decide``: drive a playbook run from the terminal or automation."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from ircli.cli.acting import act_as, as_option
from ircli.cli.context import workspace
from ircli.cli.output import emit_json, info, json_option
from ircli.errors import UsageError
from ircli.exitcodes import ExitCode

_INPUT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _parse_inputs(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not _INPUT_KEY.match(key):
            raise UsageError(
                f"--input {pair[:60]!r} is not NAME=VALUE",
                hint="e.g. --input seeds=acct-1,acct-2 --input window=14d",
            )
        out[key] = value
    return out


@click.command()
@click.argument("playbook")
@click.option("--incident", "incident_id", metavar="INC", help="Run on (or resume) this incident.")
@click.option("--title", help="Title of the new incident (default: the playbook's title).")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value for the playbook's forms (repeat), e.g. seeds=acct-1,acct-2.",
)
@click.option(
    "--answers",
    "answers_path",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="YAML answers for forms, checklists and decisions, by step id.",
)
@click.option(
    "--non-interactive",
    is_flag=True,
    help="Never prompt: stop at the first step that needs a person (exit 10 or 11).",
)
@click.option("--plain", is_flag=True, help="Prompt in the terminal (no TUI), e.g. over SSH.")
@json_option
def run(
    playbook: str,
    incident_id: str | None,
    title: str | None,
    inputs: tuple[str, ...],
    answers_path: Path | None,
    non_interactive: bool,
    plain: bool,
    as_json: bool,
) -> int:
    """Run a playbook on an incident, or resume its run.

    Without --incident, a new incident is opened (--title names it).

    Automated steps run; forms, checklists and decisions come from --answers, from
    prompts (--plain, or a terminal) or stop the run. A stopped run exits with 10
    (waiting for input) or 11 (waiting for approval) and prints what it waits for as
    JSON; running the same command again continues where it stopped.
    """
    from ircli.services.answers import AnswersResponder, read_answers
    from ircli.services.runs import advance, start_run

    if incident_id and title:
        raise UsageError("give --incident or --title, not both")
    if plain and non_interactive:
        raise UsageError("--plain prompts and --non-interactive never does: choose one")
    ws = workspace()
    answers = read_answers(answers_path) if answers_path else {}
    interactive = plain or (not non_interactive and sys.stdin.isatty() and not as_json)
    responder: Any
    if interactive:
        from ircli.cli.prompts import PromptResponder

        responder = PromptResponder(answers)
    else:
        responder = AnswersResponder(answers, source=str(answers_path or "answers"))
    incident, message = start_run(
        ws, playbook, incident=incident_id, title=title, inputs=_parse_inputs(inputs)
    )
    info(message)
    outcome = advance(ws, incident, responder, progress=_progress if sys.stderr.isatty() else None)
    for line in _summary(outcome.state.to_dict()):
        info(line)
    if outcome.status == "completed":
        if as_json:
            emit_json(outcome.to_dict())
        info(f"{incident}: playbook {outcome.playbook} completed")
        return int(ExitCode.OK)
    waiting = outcome.waiting or {}
    if as_json or not interactive:
        emit_json(outcome.to_dict())
    info(f"{incident}: waiting at step '{waiting.get('step')}' ({outcome.status})")
    if waiting.get("approve_with"):
        info(f"  approve from another responder's terminal: {waiting['approve_with']}")
    elif waiting.get("decide_with"):
        info(f"  decide with: {waiting['decide_with']}")
    info(f"  then resume: ircli run {outcome.playbook} --incident {incident}")
    if outcome.status == "waiting-for-approval":
        return int(ExitCode.WAITING_FOR_APPROVAL)
    return int(ExitCode.WAITING_FOR_INPUT)


def _progress(fraction: float | None, message: str) -> None:
    pct = f"{fraction * 100:5.1f}% " if fraction is not None else ""
    info(f"  {pct}{message}")


def _summary(state: dict[str, Any]) -> list[str]:
    marks = {
        "done": "✓",
        "skipped": "-",
        "failed": "✗",
        "waiting-for-input": "?",
        "waiting-for-approval": "…",
        "running": ">",
        "ready": ">",
    }
    return [
        f"  {marks.get(s['state'], ' ')} {s['id']:<20} {s['state']}"
        for s in state["steps"]
        if s["state"] != "pending"
    ]


@click.command()
@click.argument("incident_id", metavar="INC")
@click.argument("step")
@click.option("--option", "option", required=True, help="The option chosen.")
@click.option("--rationale", required=True, help="Why: the evidence and reasoning, in words.")
@click.option("--evidence", "evidence", multiple=True, metavar="ID", help="Evidence id (repeat).")
@as_option
@json_option
def decide(
    incident_id: str,
    step: str,
    option: str,
    rationale: str,
    evidence: tuple[str, ...],
    act_as_name: str | None,
    as_json: bool,
) -> None:
    """Record a decision on a playbook's decision step."""
    from ircli.services.decisions import record_decision

    act_as(act_as_name)
    state = record_decision(workspace(), incident_id, step, option, rationale, evidence)
    status = next(s for s in state.to_dict()["steps"] if s["id"] == step)
    if as_json:
        emit_json({"incident": state.incident, "step": status, "status": state.status})
        return
    if status["state"] == "waiting-for-approval":
        approval = status["approval"] or {}
        info(
            f"{state.incident}: decision '{option}' on '{step}' recorded; "
            f"waiting for {approval.get('missing', '?')} approval(s): "
            f"ircli --as NAME approve {state.incident} {step}"
        )
    else:
        info(f"{state.incident}: decision '{option}' on '{step}' recorded")
