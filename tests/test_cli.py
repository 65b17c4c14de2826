"""The CLI contract: help everywhere, JSON on stdout, one line on stderr, documented exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ircli.cli.main import cli
from ircli.exitcodes import DESCRIPTIONS, ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"


def _all_commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            path = f"{prefix} {name}".strip()
            found.append((path, command))
            if isinstance(command, click.Group):
                walk(path, command)

    walk("", cli)
    return found


def test_every_command_has_help_text(ircli) -> None:  # type: ignore[no-untyped-def]
    commands = _all_commands()
    assert len(commands) >= 9
    for path, command in commands:
        assert (command.help or "").strip(), f"'ircli {path}' has no help text"
        result = ircli(*path.split(), "--help")
        assert result.code == 0, path
        assert "Usage:" in result.out
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"'ircli {path}' option {param.opts} has no help"


def test_root_help_lists_each_command_with_its_own_help(ircli) -> None:  # type: ignore[no-untyped-def]
    from ircli.cli.main import _COMMANDS

    shown = ircli("--help").out
    for name, (_target, short) in _COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        assert short == command.get_short_help_str(limit=300), f"stale help line for '{name}'"
        assert name in shown


def test_every_exit_code_is_documented_in_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for code in ExitCode:
        assert re.search(rf"\|\s*{int(code)}\s*\|\s*`{code.name}`", text), (
            f"{code.name} missing in README"
        )
        assert DESCRIPTIONS[code]


def test_version(ircli) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    result = ircli("--version")
    assert result.code == 0
    assert result.out.strip() == f"ircli {version('ircli')}"


def test_incident_lifecycle_json(ircli) -> None:  # type: ignore[no-untyped-def]
    new = ircli(
        "--as",
        "alice",
        "incident",
        "new",
        "--title",
        "Hydra",
        "--severity",
        "sev2",
        "--subject",
        "a1,a2",
        "--subject",
        "a3",
        "--json",
    )
    assert new.code == 0, new.err
    opened = json.loads(new.out)
    assert opened["id"] == "INC-0001"
    assert opened["subjects"] == ["a1", "a2", "a3"]
    assert opened["owner"] == "alice"
    assert opened["tlp"] == "AMBER"

    note = ircli("--as", "bob", "note", "add", "inc-1", "proxy exits in 100.64/10", "--json")
    assert note.code == 0
    assert json.loads(note.out)["actor"] == "bob"

    listed = json.loads(ircli("incident", "list", "--json").out)
    assert [i["id"] for i in listed] == ["INC-0001"]

    shown = json.loads(ircli("incident", "show", "INC-0001", "--json").out)
    assert shown["notes"] == 1
    assert [e["type"] for e in shown["timeline"]] == ["incident.opened", "note.added"]

    closed = ircli("incident", "close", "1", "--summary", "contained", "--json")
    assert json.loads(closed.out)["status"] == "closed"
    again = ircli("incident", "close", "1", "--summary", "again", "--json")
    assert again.code == ExitCode.REFUSED
    assert again.out == ""


def test_table_output_is_plain_text(ircli) -> None:  # type: ignore[no-untyped-def]
    ircli("incident", "new", "--title", "\x1b]0;pwned\x07[bold red]hi[/]\u202e")
    listed = ircli("incident", "list")
    assert listed.code == 0
    assert "\x1b" not in listed.out and "\x07" not in listed.out and "\u202e" not in listed.out
    assert "[bold red]hi[/]" in listed.out  # markup shown literally
    assert "␛" in listed.out


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["incident", "show", "INC-0042"], ExitCode.NOT_FOUND),
        (["incident", "show", "nonsense"], ExitCode.VALIDATION),
        (["incident", "new", "--title", "  "], ExitCode.VALIDATION),
        (["incident", "new", "--title", "x", "--tlp", "purple"], ExitCode.VALIDATION),
        (["incident", "frobnicate"], ExitCode.USAGE),
        (["incident", "new"], ExitCode.USAGE),
        (["note", "add", "INC-0009", "text"], ExitCode.NOT_FOUND),
        (["--as", "bad name!", "incident", "list"], ExitCode.USAGE),
    ],
)
def test_error_paths_leave_stdout_empty(ircli, args: list[str], code: ExitCode) -> None:  # type: ignore[no-untyped-def]
    result = (
        ircli(*args, "--json")
        if args[-1] != "--json" and args[0] != "--as" and "frobnicate" not in args
        else ircli(*args)
    )
    assert result.code == code, result.err
    assert result.out == ""
    assert result.err.strip()
    assert "Traceback" not in result.err


def test_internal_errors_are_one_line_unless_debug(ircli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import ircli.services.incidents as incidents

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(incidents, "list_incidents", boom)
    result = ircli("incident", "list")
    assert result.code == ExitCode.INTERNAL_ERROR
    assert "kaboom" in result.err and "Traceback" not in result.err
    assert "--debug" in result.err
    with pytest.raises(RuntimeError):
        from ircli.cli.main import run

        run(["--debug", "incident", "list"], debug=True)


def test_real_process_exit_codes_and_streams(tmp_path: Path) -> None:
    env_store = str(tmp_path / "p.db")
    ok = subprocess.run(
        [sys.executable, "-m", "ircli", "--store", env_store, "incident", "list", "--json"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout) == []
    missing = subprocess.run(
        [sys.executable, "-m", "ircli", "--store", env_store, "incident", "show", "INC-0003"],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == ExitCode.NOT_FOUND
    assert missing.stdout == ""
    assert missing.stderr.startswith("ircli: error: no incident INC-0003")
    assert "hint:" in missing.stderr


def test_identity_comes_from_config_then_os(tmp_path: Path, ircli) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ircli.toml").write_text('responder = "carol"\n')
    shown = json.loads(ircli("config", "show", "--json").out)
    assert shown["responder"] == "carol"
    assert json.loads(ircli("--as", "dave", "config", "show", "--json").out)["responder"] == "dave"
    (tmp_path / "ircli.toml").unlink()
    import getpass

    assert json.loads(ircli("config", "show", "--json").out)["responder"] == getpass.getuser()


def test_demo_runs_without_a_terminal(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "ircli", "demo", "--dir", str(demo)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "INC-0001" in result.stdout
    assert (demo / "world" / "labels.parquet").is_file()
    again = subprocess.run(
        [sys.executable, "-m", "ircli", "demo", "--dir", str(demo), "--json"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    made = json.loads(again.stdout)
    assert made["incident"]["id"] == "INC-0001"  # idempotent: the same incident again
    assert made["waiting_for"] == "exculpatory"  # evidence, expansion, assessment done
    assert made["incident"]["playbook"] == "distillation"
    assert len(made["incident"]["subjects"]) == 3
    # The relative store path in the demo's config resolves next to the config file.
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ircli",
            "--config",
            str(demo / "ircli.toml"),
            "evidence",
            "list",
            "INC-0001",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "IRCLI_STORE"},
    )
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert {i["table"] for i in items} == {"requests", "accounts"}
    assert all(i["records"] > 0 for i in items)
