"""``ircli incident …`` and ``ircli note …``."""

from __future__ import annotations

import sys

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_fields, emit_json, emit_table, info, json_option

SEVERITY_CHOICE = click.Choice(["sev1", "sev2", "sev3", "sev4"], case_sensitive=False)


@click.group()
def incident() -> None:
    """Open, list, show and close incidents."""


@incident.command("new")
@click.option("--title", required=True, help="One line saying what happened.")
@click.option("--severity", type=SEVERITY_CHOICE, help="sev1 (worst) to sev4; default from config.")
@click.option(
    "--tlp", help="TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT, RED (default AMBER)."
)
@click.option(
    "--subject",
    "subjects",
    multiple=True,
    metavar="ACCOUNT",
    help="Seed account id (repeat, or comma-separate).",
)
@click.option("--owner", help="Responder who owns the incident (default: you).")
@click.option("--description", default="", help="Longer description.")
@json_option
def incident_new(
    title: str,
    severity: str | None,
    tlp: str | None,
    subjects: tuple[str, ...],
    owner: str | None,
    description: str,
    as_json: bool,
) -> None:
    """Open a new incident."""
    from ircli.services.incidents import open_incident

    state = open_incident(
        workspace(),
        title=title,
        severity=severity,
        tlp=tlp,
        subjects=subjects,
        owner=owner,
        description=description,
    )
    if as_json:
        emit_json(state.to_dict())
    else:
        click.echo(state.id)
        info(
            f"opened {state.id} ({state.severity}, TLP:{state.tlp}) with {len(state.subjects)} subject(s)"
        )


@incident.command("list")
@click.option(
    "--status", type=click.Choice(["open", "closed"]), help="Only open or only closed incidents."
)
@json_option
def incident_list(status: str | None, as_json: bool) -> None:
    """List incidents, newest first."""
    from ircli.services.incidents import list_incidents

    found = list_incidents(workspace(), status=status)
    if as_json:
        emit_json([inc.to_dict() for inc in found])
        return
    emit_table(
        [
            (
                inc.id,
                inc.title,
                inc.severity,
                inc.status,
                inc.tlp,
                len(inc.subjects),
                inc.owner,
                inc.updated[:19],
            )
            for inc in found
        ],
        ["ID", "TITLE", "SEV", "STATUS", "TLP", "ACCOUNTS", "OWNER", "UPDATED (UTC)"],
        empty="no incidents yet: open one with 'ircli incident new --title ...'",
    )


@incident.command("show")
@click.argument("incident_id", metavar="INC")
@click.option("--timeline/--no-timeline", default=True, help="Show the timeline (default on).")
@json_option
def incident_show(incident_id: str, timeline: bool, as_json: bool) -> None:
    """Show an incident and its timeline."""
    from ircli.services.incidents import get_incident, incident_timeline

    ws = workspace()
    state = get_incident(ws, incident_id)
    entries = list(incident_timeline(ws, state.id)) if timeline else []
    if as_json:
        data = state.to_dict()
        if timeline:
            data["timeline"] = [entry.to_dict() for entry in entries]
        emit_json(data)
        return
    emit_fields(
        [
            ("incident", state.id),
            ("title", state.title),
            ("severity", state.severity),
            ("status", state.status),
            ("tlp", f"TLP:{state.tlp}"),
            ("owner", state.owner),
            ("playbook", state.playbook or "-"),
            ("subjects", _shorten(state.subjects)),
            ("created", state.created),
            ("updated", state.updated),
            ("events", state.events),
            ("head hash", state.head_hash),
        ]
        + ([("summary", state.summary)] if state.summary else [])
    )
    if timeline:
        click.echo("")
        emit_table(
            [(e.seq, e.ts[:19], e.actor, e.message) for e in entries],
            ["SEQ", "TIME (UTC)", "ACTOR", "WHAT"],
        )


@incident.command("close")
@click.argument("incident_id", metavar="INC")
@click.option("--summary", required=True, help="What was found and done.")
@json_option
def incident_close(incident_id: str, summary: str, as_json: bool) -> None:
    """Close an incident with a summary."""
    from ircli.services.incidents import close_incident

    state = close_incident(workspace(), incident_id, summary=summary)
    if as_json:
        emit_json(state.to_dict())
    else:
        info(f"closed {state.id}")


@click.group()
def note() -> None:
    """Add notes to an incident's journal."""


@note.command("add")
@click.argument("incident_id", metavar="INC")
@click.argument("text")
@json_option
def note_add(incident_id: str, text: str, as_json: bool) -> None:
    """Add a note (use '-' to read the text from stdin)."""
    from ircli.services.incidents import add_note

    if text == "-":
        text = sys.stdin.read()
    event = add_note(workspace(), incident_id, text)
    if as_json:
        emit_json(event.to_dict())
    else:
        info(f"note added to {event.incident} as event {event.seq}")


def _shorten(items: list[str], most: int = 8) -> str:
    if len(items) <= most:
        return ", ".join(items) or "-"
    return ", ".join(items[:most]) + f" … (+{len(items) - most} more)"
