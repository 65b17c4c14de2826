"""``ircli verify``: prove the journal was not altered."""

from __future__ import annotations

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_json, emit_table, json_option
from ircli.exitcodes import ExitCode


@click.command()
@click.argument("incident_id", metavar="[INC]", required=False)
@json_option
@click.pass_context
def verify(ctx: click.Context, incident_id: str | None, as_json: bool) -> None:
    """Re-walk the hash chain of one incident (or all) and report the first break.

    Exits 0 when everything verifies and 7 (integrity failure) otherwise.
    """
    from ircli.services.incidents import verify as verify_service

    result = verify_service(workspace(), incident_id)
    if as_json:
        emit_json(result.to_dict())
    else:
        rows = []
        for report in result.reports:
            if report.ok:
                rows.append((report.incident, "ok", report.events, report.head_hash[:16], ""))
            else:
                assert report.brk is not None
                rows.append(
                    (
                        report.incident,
                        "BROKEN",
                        report.events,
                        f"at seq {report.brk.seq}",
                        report.brk.reason,
                    )
                )
        rows.extend(
            (inc, "MISSING", 0, "", "incident deleted from the store")
            for inc in result.missing_incidents
        )
        emit_table(
            rows,
            ["INCIDENT", "CHAIN", "EVENTS", "HEAD / BREAK", "REASON"],
            empty="no incidents to verify",
        )
    if not result.ok:
        ctx.exit(int(ExitCode.INTEGRITY))
