"""``ircli demo``: a ready-made incident to walk through."""

from __future__ import annotations

from pathlib import Path

import click

from ircli.cli.output import emit_json, info, json_option


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo"),
    show_default=True,
    help="Folder for the demo store and data.",
)
@json_option
@click.pass_context
def demo(ctx: click.Context, directory: Path, as_json: bool) -> None:
    """Create (once) a demo store with a sample incident and show it."""
    from ircli.cli.context import Settings
    from ircli.services.demo import demo_store_path, ensure_demo_incident
    from ircli.services.incidents import incident_timeline

    settings = ctx.find_object(Settings) or ctx.ensure_object(Settings)
    if settings.store is None:
        settings.store = str(demo_store_path(directory))
    ws = settings.workspace()
    state = ensure_demo_incident(ws)
    if as_json:
        emit_json({"store": str(ws.store_path), "incident": state.to_dict()})
        return
    info(f"demo store: {ws.store_path}")
    ctx.invoke(_show(), incident_id=state.id, timeline=True, as_json=False)
    entries = sum(1 for _ in incident_timeline(ws, state.id))
    info(f"\n{state.id} has {entries} journal event(s). Try:")
    info(f"  ircli --store {ws.store_path} note add {state.id} 'first look done'")
    info(f"  ircli --store {ws.store_path} verify")


def _show() -> click.Command:
    from ircli.cli.incident import incident_show

    return incident_show
