"""Entry point: the root ``ircli`` group, global options and the one error handler."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ircli import __version__
from ircli.cli.context import Settings
from ircli.errors import IrcliError
from ircli.exitcodes import ExitCode

# Subcommands live in their own modules, imported only when used. Each entry carries the
# command's one-line help so that `ircli --help` lists them without importing any (a test
# keeps these lines equal to the commands' own help).
_COMMANDS: dict[str, tuple[str, str]] = {
    "incident": ("ircli.cli.incident:incident", "Open, list, show and close incidents."),
    "note": ("ircli.cli.incident:note", "Add notes to an incident's journal."),
    "verify": (
        "ircli.cli.verify:verify",
        "Re-walk the hash chain of one incident (or all) and report the first break.",
    ),
    "config": ("ircli.cli.config:config", "Show and check the configuration (ircli.toml)."),
    "demo": (
        "ircli.cli.demo:demo",
        "Set up (once) the demo: a generated world, and a distillation incident ready to walk.",
    ),
    "run": ("ircli.cli.run:run", "Run a playbook on an incident, or resume its run."),
    "decide": ("ircli.cli.run:decide", "Record a decision on a playbook's decision step."),
    "approvals": (
        "ircli.cli.approvals:approvals",
        "List what waits for approval on open incidents.",
    ),
    "approve": (
        "ircli.cli.approvals:approve",
        "Approve a step's pending request as the acting responder (--as).",
    ),
    "reject": (
        "ircli.cli.approvals:reject",
        "Reject a step's pending request as the acting responder (--as).",
    ),
    "playbook": ("ircli.cli.playbook:playbook", "Find, check and convert playbooks."),
    "evidence": (
        "ircli.cli.evidence:evidence",
        "Pull evidence from configured sources and prove it was not altered.",
    ),
    "auth": ("ircli.cli.auth:auth", "Store, check and forget the secrets sources and actions use."),
    "act": ("ircli.cli.act:act", "Terminate accounts (or revoke keys) for STEP of incident INC."),
    "analyze": (
        "ircli.cli.analyze:analyze",
        "Score accounts for distillation, link them into clusters and explain why.",
    ),
    "timeline": ("ircli.cli.timeline:timeline", "Export an incident's timeline and report."),
    "intel": (
        "ircli.cli.intel:intel",
        "Forum intelligence: pull indicators over TAXII 2.1, match them as sightings.",
    ),
    "report": (
        "ircli.cli.report:report",
        "The Forum report: STIX 2.1 bundles, redacted, TLP-marked, approved, submitted.",
    ),
    "tui": ("ircli.cli.tui:tui", "Open the terminal UI (what `ircli` alone does in a terminal)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used; help lists them from
    :data:`_COMMANDS` without importing them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS:
            from importlib import import_module

            module, attr = _COMMANDS[cmd_name][0].split(":")
            command = getattr(import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][1]) for name in sorted(_COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="ircli", message="%(prog)s %(version)s")
@click.option(
    "--store", metavar="PATH", envvar="IRCLI_STORE", help="Incident store file (env IRCLI_STORE)."
)
@click.option(
    "--as",
    "actor",
    metavar="NAME",
    help="Act as this responder (default: config 'responder', then the OS user).",
)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (env IRCLI_CONFIG; default ./ircli.toml).",
)
@click.option("--debug", is_flag=True, envvar="IRCLI_DEBUG", help="Show tracebacks for errors.")
@click.pass_context
def cli(
    ctx: click.Context, store: str | None, actor: str | None, config_path: Path | None, debug: bool
) -> None:
    """ircli — incident response for adversarial distillation of AI models.

    Run without a command to open the terminal UI. Every command that prints data
    takes --json; exit codes are listed in the README.
    """
    settings = ctx.ensure_object(Settings)
    settings.store, settings.actor, settings.config, settings.debug = (
        store,
        actor,
        config_path,
        debug,
    )
    ctx.call_on_close(settings.close)
    if ctx.invoked_subcommand is None:
        from ircli.cli.tui import is_terminal, launch

        if is_terminal():
            launch()
        else:  # piped or in CI: a TUI would hang, so say what there is instead
            click.echo(ctx.get_help())


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every failure into one line on stderr and a documented exit code."""
    _skip_unused_imports()
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("IRCLI_DEBUG", "") not in ("", "0")
    code = run(args, debug=debug)
    sys.exit(code)


UNUSED_IMPORTS = {
    # jsonschema imports it to offer IRI format checks when it is installed (stix2-validator
    # pulls it in), and it compiles its grammars for seconds at import; ircli's playbook
    # and CACAO validation check no formats.
    "rfc3987_syntax",
    # httpx imports its own console command whenever click and rich are installed (they
    # are, for ircli), loading rich's console and pygments: about 0.1 s in every process
    # that pulls evidence, acts or reports. Without it httpx keeps a stub command.
    "httpx._main",
}
"""Modules that libraries import on the side and an ircli process never uses."""


def _skip_unused_imports() -> None:
    """Mark :data:`UNUSED_IMPORTS` as absent, the way Python caches a failed import, so
    the libraries importing them take their "not installed" road."""
    for name in UNUSED_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def run(args: list[str], *, debug: bool = False) -> int:
    """Invoke the CLI; returns the exit code instead of exiting."""
    try:
        result: Any = cli.main(args=args, prog_name="ircli", standalone_mode=False)
        return int(result) if isinstance(result, int) else ExitCode.OK
    except IrcliError as exc:
        if debug:
            raise
        _report(exc.message, exc.hint)
        return int(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        return int(ExitCode.USAGE)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE) if exc.exit_code == 2 else int(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        _report("interrupted", "re-run the same command to resume where it stopped")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as exc:  # the last net: one line, never a traceback by default
        if debug:
            raise
        _report(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug in ircli; run again with --debug and report the traceback",
        )
        return int(ExitCode.INTERNAL_ERROR)


def _report(message: str, hint: str | None) -> None:
    from ircli.core.text import inert

    click.echo(f"ircli: error: {inert(message)}", err=True)
    if hint:
        click.echo(f"  hint: {inert(hint)}", err=True)
