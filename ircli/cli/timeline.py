"""``ircli timeline export``: the incident timeline for legal, leadership and other tools."""

from __future__ import annotations

import sys

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_json, emit_table, info, json_option
from ircli.errors import UsageError


@click.group()
def timeline() -> None:
    """Export an incident's timeline and report."""


@timeline.command("export")
@click.argument("incident_id", metavar="INC")
@click.option(
    "--format",
    "fmt",
    required=True,
    metavar="FORMAT",
    help="jsonl, csv, md, html, timesketch-jsonl, timesketch-csv, stix (or a plugin's format).",
)
@click.option("-o", "--output", required=True, metavar="FILE", help="Write here ('-' for stdout).")
@click.option("--since", metavar="TIME", help="Only events at or after this ISO 8601 time.")
@click.option("--until", metavar="TIME", help="Only events at or before this ISO 8601 time.")
@click.option(
    "--types",
    "types",
    multiple=True,
    metavar="TYPE[,TYPE]",
    help="Only these event types (repeat, or comma-separate), e.g. decision.recorded.",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Apply the Forum redaction policy (keyed hashes; needs the 'forum-hmac' secret).",
)
@json_option
def timeline_export(
    incident_id: str,
    fmt: str,
    output: str,
    since: str | None,
    until: str | None,
    types: tuple[str, ...],
    redact: bool,
    as_json: bool,
) -> None:
    """Export INC's timeline in FORMAT to FILE.

    JSONL carries every event with its hashes and the journal's head; check it
    offline with 'ircli verify --file EXPORT.jsonl'.
    """
    from ircli.services.export import export_timeline

    if output == "-" and as_json:
        raise UsageError("--json and '-o -' both want stdout", hint="write the export to a file")
    wanted = [part for value in types for part in value.split(",") if part.strip()]
    result = export_timeline(
        workspace(),
        incident_id,
        fmt,
        sys.stdout if output == "-" else output,
        since=since,
        until=until,
        types=wanted,
        redact=redact,
    )
    if as_json:
        emit_json(result.to_dict())
    else:
        where = result.path or "stdout"
        info(
            f"exported {result.events} event(s) of {result.incident} as {fmt} to {where}"
            + (" (redacted)" if result.redacted else "")
        )


@timeline.command("formats")
@json_option
def timeline_formats(as_json: bool) -> None:
    """List the installed export formats (built-in and plugins)."""
    from ircli.services.export import export_formats

    found = export_formats()
    if as_json:
        emit_json(found)
    else:
        emit_table(
            [(f["name"], f["suffix"], f["description"]) for f in found],
            ["FORMAT", "SUFFIX", "DESCRIPTION"],
        )
