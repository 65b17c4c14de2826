"""``ircli demo``: a ready-made incident to walk through, and the synthetic world behind it."""

from __future__ import annotations

from pathlib import Path

import click

from ircli.cli.output import emit_json, info, json_option


@click.group(invoke_without_command=True)
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo"),
    show_default=True,
    help="Folder for the demo store and data.",
)
@click.option(
    "--open",
    "open_tui",
    is_flag=True,
    help="Then open the terminal UI on the demo incident (when run in a terminal).",
)
@json_option
@click.pass_context
def demo(ctx: click.Context, directory: Path, open_tui: bool, as_json: bool) -> None:
    """Set up (once) the demo: a generated world, and a distillation incident ready to walk.

    Generates the tiny synthetic world in DIR/world, writes DIR/ircli.toml with file
    sources on it, opens an incident from the distillation playbook with seed accounts
    from one campaign and runs it until a responder is needed (evidence preserved,
    cluster expanded and assessed). Subcommands work on synthetic worlds
    (see `demo generate`).

    With --open in a terminal, the terminal UI then opens on the demo incident; without
    a terminal (CI, pipes) it prints the incident as usual.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ircli.cli.context import Settings
    from ircli.services.demo import prepare_demo

    settings = ctx.find_object(Settings) or ctx.ensure_object(Settings)
    made = prepare_demo(directory, actor=settings.actor, progress=info)
    if as_json:
        emit_json(made.to_dict())
        return
    state = made.incident
    info(f"demo store: {made.store_path} (config {made.config_path})")
    settings.store, settings.config = str(made.store_path), made.config_path
    if open_tui:
        from ircli.cli.tui import is_terminal, launch

        if is_terminal():
            launch(state.id)
            return
        info("(not a terminal: printing the incident instead of opening the TUI)")
    ctx.invoke(_show(), incident_id=state.id, timeline=True, as_json=False)
    prefix = f"ircli --config {made.config_path}"
    info(f"\n{state.id} waits at step '{made.waiting_for}'. Walk it:")
    info(f"  {prefix} run distillation --incident {state.id} --plain")
    info(f"  {prefix} analyze {state.id} --format table")
    info(f"  {prefix} verify")
    info(f"  {prefix} tui --incident {state.id}   (in a terminal)")


def _show() -> click.Command:
    from ircli.cli.incident import incident_show

    return incident_show


@demo.command("generate")
@click.option(
    "--preset",
    type=click.Choice(["tiny", "small", "medium", "incident"]),
    default="tiny",
    show_default=True,
    help="World size: tiny (CI), small (~300k requests), medium (~2M), incident (~16M attack).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same bytes.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for requests/accounts/releases Parquet files and the separate labels file.",
)
@click.option("--scale", type=float, help="Multiply the preset's account counts.")
@click.option(
    "--accounts",
    "overrides",
    multiple=True,
    metavar="ARCHETYPE=N",
    help="Set one archetype's account count (repeatable), e.g. hydra_cot=500.",
)
@click.option("--days", type=int, help="Length of the log window in days.")
@click.option("--force", is_flag=True, help="Replace a world already in --out.")
@json_option
def generate(
    preset: str,
    seed: int,
    out: Path,
    scale: float | None,
    overrides: tuple[str, ...],
    days: int | None,
    force: bool,
    as_json: bool,
) -> None:
    """Generate a deterministic, labelled synthetic world of API logs.

    Campaign archetypes (hydra CoT harvesting, agentic pivot, sharded slow-and-low,
    rubric farming, relay laundering, multilingual coercion) among hard negatives and
    background users; addresses, ASNs and domains from reserved ranges only. Labels are
    written to labels.parquet, never into the evidence files.
    """
    import sys

    from ircli.cli.output import emit_fields
    from ircli.services.world import generate_world, parse_account_overrides

    def progress(done: int, total: int, rows: int) -> None:
        click.echo(f"\rgenerating: day {done}/{total}, {rows:,} requests", err=True, nl=False)
        if done == total:
            click.echo("", err=True)

    summary = generate_world(
        preset,
        seed,
        out,
        scale=scale,
        accounts=parse_account_overrides(overrides),
        days=days,
        force=force,
        progress=progress if sys.stderr.isatty() else None,
    )
    if as_json:
        emit_json(summary)
        return
    files = summary.pop("files")
    emit_fields(summary.items())
    for name, size in files.items():
        emit_fields([(name, f"{size:,} bytes")])


from ircli.cli.demo_score import score as _score  # noqa: E402  (subcommand in its own module)

demo.add_command(_score)
