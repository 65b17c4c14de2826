"""``ircli report INC``: the Forum report — review (dry run), approve, submit."""

from __future__ import annotations

from pathlib import Path

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_json, info, json_option


@click.command()
@click.argument("incident_id", metavar="INC")
@click.option(
    "--dry-run", "mode", flag_value="dry-run", help="Build the bundles for review (default)."
)
@click.option("--execute", "mode", flag_value="execute", help="Submit to the Forum collection.")
@click.option("--approve", "mode", flag_value="approve", help="Approve the prepared report.")
@click.option("--status", "mode", flag_value="status", help="Show preparation, approval, delivery.")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for the review files (indicators.json, narrative.json, preview.json).",
)
@click.option(
    "--confirmed/--suspected",
    default=None,
    help="A report (confirmed) or a grouping (suspected); default from the recorded decision.",
)
@click.option("--threat-actor", metavar="NAME", help="Name a threat actor in the narrative.")
@click.option("--comment", default="", help="Comment recorded with an approval.")
@json_option
def report(
    incident_id: str,
    mode: str | None,
    out_dir: Path | None,
    confirmed: bool | None,
    threat_actor: str | None,
    comment: str,
    as_json: bool,
) -> None:
    """The Forum report: STIX 2.1 bundles, redacted, TLP-marked, approved, submitted.

    Start with --dry-run -o DIR and review the files; a second responder runs --approve;
    then --execute posts it. Re-running --execute sends only what failed.
    """
    from ircli.services import forum, report_submission

    ws = workspace()
    mode = mode or "dry-run"
    if mode == "dry-run":
        prepared = forum.prepare_report(
            ws, incident_id, out_dir=out_dir, confirmed=confirmed, threat_actor=threat_actor
        )
        if as_json:
            emit_json(prepared.to_dict())
            return
        kind = "report (confirmed)" if prepared.confirmed else "grouping (suspected)"
        info(f"{prepared.incident}: Forum {kind}, TLP:{prepared.tlp}")
        for name, count in prepared.objects.items():
            info(f"  {name}: {count} STIX objects")
        policy = prepared.policy
        info("redaction policy:")
        for line in policy["shared_in_clear"]:
            info(f"  in the clear: {line}")
        for line in policy["keyed_hash"]:
            info(f"  keyed hash ({policy['method']}): {line}")
        for line in policy["never_shared"]:
            info(f"  never shared: {line}")
        for path in prepared.files.values():
            click.echo(path)
        if prepared.refusal:
            info(f"warning: cannot be submitted: {prepared.refusal}")
        elif prepared.recorded:
            info(
                f"approval requested: another responder runs 'ircli report {prepared.incident} --approve'"
            )
        return
    if mode == "approve":
        state = forum.approve_report(ws, incident_id, comment=comment)
        if as_json:
            emit_json(state.to_dict())
        else:
            info(f"approved by {ws.actor}; {state.missing} more approval(s) needed")
        return
    if mode == "status":
        data = report_submission.report_state(ws, incident_id)
        if as_json:
            emit_json(data)
        else:
            for key, value in data.items():
                click.echo(f"{key}: {value}")
        return
    result = report_submission.submit_report(ws, incident_id)
    if as_json:
        emit_json(result.to_dict())
    else:
        info(
            f"{result.incident}: the Forum holds all {result.total} objects "
            f"(sent now: {sum(result.sent.values())}; statuses: {', '.join(result.status_ids) or '-'})"
        )
