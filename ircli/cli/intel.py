"""``ircli intel …``: pull the Forum's shared indicators and match them against the evidence."""

from __future__ import annotations

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_json, emit_table, info, json_option


@click.group()
def intel() -> None:
    """Forum intelligence: pull indicators over TAXII 2.1, match them as sightings."""


@intel.command("pull")
@click.argument("incident_id", metavar="INC")
@click.option("--source", metavar="NAME", help="A [sources.NAME] of type taxii (default: [forum]).")
@click.option("--full", is_flag=True, help="Ignore the journaled high-water mark; pull everything.")
@json_option
def intel_pull(incident_id: str, source: str | None, full: bool, as_json: bool) -> None:
    """Pull new indicators from the TAXII collection into the incident's journal."""
    from ircli.services.intel import pull_intel

    result = pull_intel(workspace(), incident_id, source=source, full=full)
    if as_json:
        emit_json(result.to_dict())
        return
    since = f" added after {result.added_after}" if result.added_after else ""
    info(
        f"{result.incident}: {result.objects} object(s){since} in {result.pages} page(s); "
        f"{result.indicators} indicator(s), {len(result.unsupported)} with unsupported patterns, "
        f"{len(result.rejected)} rejected"
    )
    for item in result.unsupported:
        info(f"  unsupported {item['id']}: {item['reason']}")
    for item in result.rejected:
        info(f"  rejected {item['id']}: {item['reason']}")
    if not result.recorded:
        info("nothing new since the last pull")


@intel.command("collections")
@click.option("--source", metavar="NAME", help="A [sources.NAME] of type taxii (default: [forum]).")
@json_option
def intel_collections(source: str | None, as_json: bool) -> None:
    """Show the TAXII server's API root and collections (check the configuration)."""
    from ircli.services.intel import describe_intel_server

    data = describe_intel_server(workspace(), source=source)
    if as_json:
        emit_json(data)
        return
    info(f"{data['title']}: API root {data['api_root']['url']} ({data['api_root']['title']})")
    emit_table(
        [
            (
                c["id"],
                c["title"],
                "yes" if c["can_read"] else "no",
                "yes" if c["can_write"] else "no",
            )
            for c in data["collections"]
        ],
        ["COLLECTION", "TITLE", "READ", "WRITE"],
        empty="the API root has no collections",
    )


@intel.command("match")
@click.argument("incident_id", metavar="INC")
@json_option
def intel_match(incident_id: str, as_json: bool) -> None:
    """Match the pulled indicators against the incident's evidence; record sightings."""
    from ircli.services.intel import match_intel

    _show(match_intel(workspace(), incident_id), as_json)


@intel.command("sightings")
@click.argument("incident_id", metavar="INC")
@json_option
def intel_sightings_cmd(incident_id: str, as_json: bool) -> None:
    """List the recorded sightings of Forum indicators."""
    from ircli.services.intel import intel_sightings

    _show(intel_sightings(workspace(), incident_id), as_json)


def _show(sightings: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        emit_json(sightings)
        return
    emit_table(
        [
            (
                s["indicator"],
                s.get("source_name") or s.get("source") or "",
                s.get("accounts_total", 0),
                s.get("count", 0),
                str(s.get("first_seen") or "")[:19],
                str(s.get("last_seen") or "")[:19],
            )
            for s in sightings
        ],
        ["INDICATOR", "SOURCE", "ACCOUNTS", "RECORDS", "FIRST SEEN", "LAST SEEN"],
        empty="no sightings: pull intel with 'ircli intel pull INC', then 'ircli intel match INC'",
    )
