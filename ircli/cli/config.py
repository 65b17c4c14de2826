"""``ircli config …``: show and check the configuration."""

from __future__ import annotations

from typing import Any

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_json, info, json_option


@click.group()
def config() -> None:
    """Show and check the configuration (ircli.toml)."""


@config.command("show")
@json_option
def config_show(as_json: bool) -> None:
    """Show the effective configuration, where it came from, the store and the responder."""
    from ircli.services.workspace import describe

    data: dict[str, Any] = describe(workspace())
    if as_json:
        emit_json(data)
        return
    click.echo(f"# config file: {data['config_file'] or '(none: defaults)'}")
    click.echo(f"# store:       {data['store']}")
    click.echo(f"# responder:   {data['responder']}")
    for line in _toml_lines(data["config"]):
        click.echo(line)


@config.command("check")
def config_check() -> None:
    """Validate the configuration file; exits 5 with the problem if it is invalid."""
    ws = workspace()
    info(f"config ok: {ws.config_path or '(no file: defaults)'}")


def _toml_lines(data: dict[str, Any], prefix: str = "") -> list[str]:
    import json

    scalars = [(k, v) for k, v in data.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, dict)]
    lines = [f"{k} = {json.dumps(v)}" for k, v in scalars if v is not None]
    for key, value in tables:
        assert isinstance(value, dict)
        name = f"{prefix}{key}"
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(_toml_lines(value, prefix=f"{name}."))
    return lines
