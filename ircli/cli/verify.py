"""``ircli verify``: prove the journal (or an exported timeline) was not altered."""

from __future__ import annotations

from pathlib import Path

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_fields, emit_json, emit_table, json_option
from ircli.errors import UsageError
from ircli.exitcodes import ExitCode


@click.command()
@click.argument("incident_id", metavar="[INC]", required=False)
@click.option(
    "--file",
    "export_file",
    metavar="EXPORT.jsonl",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Verify a JSONL timeline export offline instead of the store.",
)
@json_option
@click.pass_context
def verify(
    ctx: click.Context, incident_id: str | None, export_file: Path | None, as_json: bool
) -> None:
    """Re-walk the hash chain of one incident (or all) and report the first break.

    With --file, check a JSONL export with no store at all: a changed byte, a
    dropped, added or reordered line is reported. Exits 0 when everything
    verifies and 7 (integrity failure) otherwise.
    """
    if export_file is not None:
        if incident_id is not None:
            raise UsageError("give an incident or --file, not both")
        _verify_file(ctx, export_file, as_json)
        return
    from ircli.services.incidents import verify as verify_service

    result = verify_service(workspace(), incident_id)
    if as_json:
        emit_json(result.to_dict())
    else:
        rows: list[tuple[object, ...]] = []
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
        rows.extend(
            (p["incident"], "EVIDENCE", "-", p["evidence"], p["problem"])
            for p in result.evidence_problems
        )
        emit_table(
            rows,
            ["INCIDENT", "CHAIN", "EVENTS", "HEAD / BREAK", "REASON"],
            empty="no incidents to verify",
        )
    if not result.ok:
        ctx.exit(int(ExitCode.INTEGRITY))


def _verify_file(ctx: click.Context, path: Path, as_json: bool) -> None:
    from ircli.services.export import verify_export_file

    check = verify_export_file(path)
    if as_json:
        emit_json({"file": str(path), **check.to_dict()})
    else:
        fields = [
            ("file", str(path)),
            ("incident", check.incident or "-"),
            ("result", "ok" if check.ok else "BROKEN"),
            ("events", check.events),
            ("head", f"seq {check.head_seq} {check.head_hash}"),
        ]
        if check.ok:
            fields.append(("checked", check.note))
        else:
            fields.append(("break", f"line {check.line}: {check.reason}"))
        emit_fields(fields)
    if not check.ok:
        ctx.exit(int(ExitCode.INTEGRITY))
