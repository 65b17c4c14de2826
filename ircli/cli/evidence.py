"""``ircli evidence pull|list|show|verify``."""

from __future__ import annotations

import sys

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_fields, emit_json, emit_table, info, json_option
from ircli.exitcodes import ExitCode


@click.group()
def evidence() -> None:
    """Pull evidence from configured sources and prove it was not altered."""


@evidence.command("pull")
@click.argument("incident_id", metavar="INC")
@click.option("--source", "source", required=True, help="A [sources.NAME] table of ircli.toml.")
@click.option(
    "--accounts",
    multiple=True,
    metavar="IDS",
    help="Only these accounts (comma-separated; repeatable).",
)
@click.option(
    "--from-incident", is_flag=True, help="Only the incident's subject accounts (plus --accounts)."
)
@click.option("--since", metavar="TIME", help="Start of the window, ISO 8601 (inclusive).")
@click.option("--until", metavar="TIME", help="End of the window, ISO 8601 (exclusive).")
@json_option
def evidence_pull(
    incident_id: str,
    source: str,
    accounts: tuple[str, ...],
    from_incident: bool,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """Pull records from a source into a new evidence item.

    Re-running an interrupted pull (same incident, source and filters) resumes it.
    """
    from ircli.services.evidence import pull_evidence

    live = sys.stderr.isatty()

    def progress(records: int, pages: int) -> None:
        if live:
            click.echo(f"\r  {records:,} record(s), {pages:,} page(s)", nl=False, err=True)

    item = pull_evidence(
        workspace(),
        incident_id,
        source,
        accounts=accounts,
        from_incident=from_incident,
        since=since,
        until=until,
        progress=progress,
    )
    if live:
        click.echo("", err=True)
    if as_json:
        emit_json(item.to_dict())
        return
    click.echo(item.id)
    info(
        f"{item.id}: {item.records} record(s) kept, {item.quarantined} quarantined, "
        f"{item.out_of_scope} outside the query, from {item.pages} page(s)"
    )
    if item.quarantined:
        info(f"  see why: ircli evidence show {item.incident} {item.id} --quarantine")


@evidence.command("list")
@click.argument("incident_id", metavar="INC")
@json_option
def evidence_list(incident_id: str, as_json: bool) -> None:
    """List the incident's evidence items (unfinished pulls last)."""
    from ircli.services.evidence import format_window, list_evidence

    items = list_evidence(workspace(), incident_id)
    if as_json:
        emit_json([item.to_dict() for item in items])
        return
    emit_table(
        [
            (
                item.id,
                item.status,
                item.source,
                item.table,
                len(item.query.get("accounts") or []) or "all",
                format_window(item),
                item.records,
                item.quarantined,
                item.actor,
                item.ts[:19],
            )
            for item in items
        ],
        ["ID", "STATUS", "SOURCE", "TABLE", "ACCOUNTS", "WINDOW", "RECORDS", "QUAR", "BY", "AT"],
        empty="no evidence yet: ircli evidence pull INC --source NAME",
    )


@evidence.command("show")
@click.argument("incident_id", metavar="INC")
@click.argument("evidence_id", metavar="EVIDENCE")
@click.option("--quarantine", is_flag=True, help="List every quarantined record and its reason.")
@json_option
def evidence_show(incident_id: str, evidence_id: str, quarantine: bool, as_json: bool) -> None:
    """Show one evidence item: provenance, counts, hashes, quarantine reasons."""
    from ircli.services.evidence import (
        get_evidence,
        quarantine_summary,
        quarantined_records,
    )

    ws = workspace()
    item = get_evidence(ws, incident_id, evidence_id)
    reasons = quarantine_summary(ws, item)
    bad = quarantined_records(ws, item) if quarantine else []
    if as_json:
        data = item.to_dict() | {"quarantine_reasons": reasons}
        if quarantine:
            data["quarantine"] = [
                {"reason": e["reason"], "page": e["page"], "raw_b64": e["raw_b64"]} for e in bad
            ]
        emit_json(data)
        return
    files = item.files
    emit_fields(
        [
            ("evidence", item.id),
            ("status", item.status),
            ("source", f"{item.source} ({item.source_type})"),
            ("table", item.table),
            ("accounts", ", ".join(item.query.get("accounts") or []) or "all"),
            ("since", item.query.get("since") or "-"),
            ("until", item.query.get("until") or "-"),
            ("pulled by", item.actor),
            ("at", item.ts),
            ("records", item.records),
            ("quarantined", item.quarantined),
            ("outside", item.out_of_scope),
            ("pages", item.pages),
        ]
        + [(f"{kind} sha256", meta["sha256"]) for kind, meta in sorted(files.items())]
    )
    if reasons:
        click.echo("")
        emit_table(sorted(reasons.items(), key=lambda kv: -kv[1]), ["QUARANTINE REASON", "COUNT"])
    if bad:
        click.echo("")
        emit_table(
            [(e["page"], e["reason"], e.get("raw", "(not UTF-8)")) for e in bad],
            ["PAGE", "REASON", "RAW"],
        )


@evidence.command("verify")
@click.argument("incident_id", metavar="INC")
@json_option
@click.pass_context
def evidence_verify(ctx: click.Context, incident_id: str, as_json: bool) -> None:
    """Recompute the hash of every evidence file; exit 7 if any differs."""
    from ircli.services.evidence import verify_evidence

    checks = verify_evidence(workspace(), incident_id)
    ok = all(c.ok for c in checks)
    if as_json:
        emit_json({"ok": ok, "items": [c.to_dict() for c in checks]})
    else:
        emit_table(
            [(c.id, "ok" if c.ok else "ALTERED", "; ".join(c.problems)) for c in checks],
            ["EVIDENCE", "FILES", "PROBLEM"],
            empty="no finished evidence to verify",
        )
    if not ok:
        ctx.exit(int(ExitCode.INTEGRITY))
