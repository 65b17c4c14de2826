"""``ircli auth set|check|forget``: secrets in the OS keyring, never on the command line."""

from __future__ import annotations

import sys

import click

from ircli.cli.context import workspace
from ircli.cli.output import emit_json, info, json_option


@click.group()
def auth() -> None:
    """Store, check and forget the secrets sources and actions use.

    Secrets live in the OS keyring. For automation without a keyring, export
    IRCLI_SECRET_<NAME> instead (e.g. IRCLI_SECRET_LOGS for the secret 'logs').
    """


@auth.command("set")
@click.argument("name")
@json_option
def auth_set(name: str, as_json: bool) -> None:
    """Store secret NAME in the keyring (typed hidden, or read from stdin)."""
    from ircli.errors import ValidationError
    from ircli.services.auth import set_secret

    if sys.stdin.isatty():
        value = click.prompt(
            f"value for {name}", hide_input=True, confirmation_prompt=True, err=True
        )
    else:
        value = sys.stdin.readline()
    if not value.strip():
        raise ValidationError("no value given", hint=f'printf %s "$TOKEN" | ircli auth set {name}')
    status = set_secret(workspace(), name, value)
    if as_json:
        emit_json(status.to_dict())
    else:
        info(f"stored secret '{name}' in the keyring")


@auth.command("check")
@click.argument("name")
@json_option
@click.pass_context
def auth_check(ctx: click.Context, name: str, as_json: bool) -> None:
    """Say whether secret NAME is available and where from (never its value).

    Exits 13 when it is missing.
    """
    from ircli.exitcodes import ExitCode
    from ircli.services.auth import check_secret

    status = check_secret(workspace(), name)
    if as_json:
        emit_json(status.to_dict())
    elif status.found:
        used = f"; used by {', '.join(status.used_by)}" if status.used_by else ""
        click.echo(f"{name}: found in the {status.origin}{used}")
    else:
        click.echo(f"{name}: missing")
        info(f"  store it with 'ircli auth set {name}', or export {status.env_var}=...")
    if not status.found:
        ctx.exit(int(ExitCode.SECRETS))


@auth.command("forget")
@click.argument("name")
@json_option
def auth_forget(name: str, as_json: bool) -> None:
    """Remove secret NAME from the keyring."""
    from ircli.services.auth import forget_secret

    removed = forget_secret(workspace(), name)
    if as_json:
        emit_json({"name": name, "removed": removed})
    else:
        info(f"forgot secret '{name}'" if removed else f"no secret '{name}' in the keyring")
