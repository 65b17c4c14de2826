"""``ircli approvals``, ``ircli approve`` and ``ircli reject``: the two-person rule."""

from __future__ import annotations

import click

from ircli.cli.acting import act_as, as_option
from ircli.cli.context import workspace
from ircli.cli.output import emit_json, emit_table, info, json_option


@click.command()
@click.argument("what", required=False, type=click.Choice(["list"]), metavar="[list]")
@json_option
def approvals(what: str | None, as_json: bool) -> None:
    """List what waits for approval on open incidents."""
    from ircli.services.approvals import pending_approvals

    found = pending_approvals(workspace())
    if as_json:
        emit_json([p.to_dict() for p in found])
        return
    emit_table(
        [
            (
                p.incident,
                p.step,
                f"{len(p.granted_by)}/{p.required}",
                p.requester,
                ", ".join(p.allowed) or "anyone else",
                p.summary,
                p.subject[:12],
            )
            for p in found
        ],
        ["INCIDENT", "STEP", "APPROVED", "REQUESTED BY", "FROM", "WHAT", "SUBJECT"],
        empty="nothing waits for approval",
    )


def _subject_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--subject",
        metavar="HASH",
        help="The subject you reviewed (from 'ircli approvals'); refused if it changed since.",
    )(func)


@click.command()
@click.argument("incident_id", metavar="INC")
@click.argument("step")
@click.option("--comment", default="", help="A note for the journal.")
@_subject_option
@as_option
@json_option
def approve(
    incident_id: str,
    step: str,
    comment: str,
    subject: str | None,
    act_as_name: str | None,
    as_json: bool,
) -> None:
    """Approve a step's pending request as the acting responder (--as)."""
    from ircli.services.approvals import approve as approve_step

    act_as(act_as_name)
    ws = workspace()
    state = approve_step(ws, incident_id, step, comment, subject)
    if as_json:
        emit_json(state.to_dict())
        return
    if state.satisfied:
        info(f"{ws.actor} approved '{step}': approvals complete; the run can continue")
    else:
        info(f"{ws.actor} approved '{step}': {state.missing} more approval(s) needed")


@click.command()
@click.argument("incident_id", metavar="INC")
@click.argument("step")
@click.option("--comment", required=True, help="Why you reject it.")
@_subject_option
@as_option
@json_option
def reject(
    incident_id: str,
    step: str,
    comment: str,
    subject: str | None,
    act_as_name: str | None,
    as_json: bool,
) -> None:
    """Reject a step's pending request as the acting responder (--as)."""
    from ircli.services.approvals import reject as reject_step

    act_as(act_as_name)
    ws = workspace()
    state = reject_step(ws, incident_id, step, comment, subject)
    if as_json:
        emit_json(state.to_dict())
    else:
        info(f"{ws.actor} rejected '{step}'")
