"""``ircli analyze``: distillation verdicts for an incident's evidence or for exported files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ircli.cli.output import emit_json, emit_table, info, json_option
from ircli.errors import UsageError

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.command()
@click.argument("incident_id", metavar="[INC]", required=False)
@click.option(
    "--requests", "requests_path", type=_FILE, help="Requests export (Parquet, JSONL or CSV)."
)
@click.option("--accounts", "accounts_path", type=_FILE, help="Accounts export.")
@click.option(
    "--releases", "releases_path", type=_FILE, help="Model releases (model, released_at)."
)
@click.option("-o", "--output", type=_FILE, help="Write the full JSON result to this file.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table"]),
    default=None,
    help="stdout format (default: table; json with --json).",
)
@click.option("--all", "show_all", is_flag=True, help="Table: list clear accounts too.")
@json_option
def analyze(
    incident_id: str | None,
    requests_path: Path | None,
    accounts_path: Path | None,
    releases_path: Path | None,
    output: Path | None,
    fmt: str | None,
    show_all: bool,
    as_json: bool,
) -> None:
    """Score accounts for distillation, link them into clusters and explain why.

    On an incident (INC) the evidence in its journal is analysed and the analysis is
    recorded there; on files (--requests and --accounts) nothing is recorded.
    """
    fmt = fmt or ("json" if as_json else "table")
    if incident_id and (requests_path or accounts_path or releases_path):
        raise UsageError("give either INC or --requests/--accounts, not both")
    if incident_id:
        from ircli.cli.context import workspace
        from ircli.services.analysis import analyze_incident

        done = analyze_incident(workspace(), incident_id)
        result = done.result
        info(
            f"recorded {done.analysis_id} in {done.incident} (result sha256 {done.result_sha256[:16]}…)"
        )
    else:
        if not (requests_path and accounts_path):
            raise UsageError(
                "nothing to analyse",
                hint="ircli analyze INC, or ircli analyze --requests FILE --accounts FILE",
            )
        from ircli.services.analysis import analyze_files

        result = analyze_files(requests_path, accounts_path, releases_path).to_dict()
    if output:
        output.write_text(json.dumps(result, ensure_ascii=True, indent=1), encoding="utf-8")
        info(f"wrote {output}")
    if fmt == "json":
        emit_json(result)
    else:
        _tables(result, show_all=show_all)


def _tables(result: dict[str, Any], *, show_all: bool) -> None:
    s = result["summary"]
    v = s["verdicts"]
    info(
        f"{s['accounts']} accounts, {s['requests']} requests: {v['alert']} alert, {v['watch']} watch, "
        f"{v['policy']} policy, {v['clear']} clear; {s['clusters']} clusters ({s['content_source']})"
    )
    rows = [
        (
            a["account_id"],
            a["verdict"],
            f"{a['score']:.2f}",
            a["cluster_id"] or "-",
            a["reasons"][1] if len(a["reasons"]) > 1 else a["reasons"][0],
        )
        for a in result["accounts"]
        if show_all or a["verdict"] != "clear"
    ]
    emit_table(
        rows,
        ["ACCOUNT", "VERDICT", "SCORE", "CLUSTER", "TOP REASON"],
        empty="no account needs attention",
    )
    if result["clusters"]:
        click.echo("")
        emit_table(
            [
                (
                    c["cluster_id"],
                    c["size"],
                    f"{c['score']:.2f}",
                    ", ".join(f"{k} {n}" for k, n in sorted(c["verdicts"].items())),
                    c["evidence"][0]["reason"] if c["evidence"] else "-",
                )
                for c in result["clusters"][:50]
            ],
            ["CLUSTER", "SIZE", "SCORE", "VERDICTS", "MAIN EVIDENCE"],
        )
