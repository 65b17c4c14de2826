"""Layering and start-up: the core imports no front end, ``ircli --help`` no heavy library.

Each check runs in a fresh interpreter, because this test process has imported everything.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ircli"

HEAVY = ("textual", "duckdb", "httpx", "pyarrow", "rich", "stix2", "jinja2", "numpy", "igraph")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in json.loads(out.stdout.strip().splitlines()[-1])}


@pytest.mark.parametrize(
    "module",
    [
        "ircli",
        "ircli.core",
        "ircli.core.events",
        "ircli.core.incident",
        "ircli.core.approvals",
        "ircli.core.redaction",
        "ircli.core.timeline",
        "ircli.core.text",
        "ircli.store",
    ],
)
def test_core_imports_no_front_end_or_network(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert not loaded & {"textual", "click", "rich", "httpx", "duckdb", "pyarrow"}, loaded


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom ircli.cli.main import run\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert run(['--help']) == 0\n"
    )
    loaded = _loaded_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_subcommand_help_imports_nothing_heavy() -> None:
    code = (
        "from ircli.cli.main import cli\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for name in cli.list_commands(None):\n"
        "        cli.get_command(None, name)\n"
    )
    loaded = _loaded_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def _imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


INNER_FORBIDDEN = ("ircli.cli", "ircli.tui", "ircli.services", "click", "textual", "rich")
FRONT_END_ALLOWED = (
    "ircli.services",
    "ircli.errors",
    "ircli.exitcodes",
    "ircli.core.text",
    "ircli.cli",
    "ircli.tui",
    "ircli",
)


def _python_files(*parts: str) -> list[Path]:
    return sorted(p for part in parts for p in (PACKAGE / part).rglob("*.py"))


INNER_LAYERS = sorted(
    p.name
    for p in PACKAGE.iterdir()
    if p.is_dir() and p.name not in ("cli", "tui", "services", "__pycache__")
)


def test_the_inner_layers_are_found() -> None:
    assert {"core", "store", "evidence"} <= set(INNER_LAYERS)


@pytest.mark.parametrize("layer", INNER_LAYERS)
def test_inner_layers_never_import_outer_ones(layer: str) -> None:
    for path in _python_files(layer):
        for name in _imports_of(path):
            assert not name.startswith(INNER_FORBIDDEN), f"{path.name} imports {name}"


def test_core_depends_on_nothing_but_itself() -> None:
    for path in _python_files("core"):
        for name in _imports_of(path):
            if name.startswith("ircli"):
                assert name.startswith(("ircli.core", "ircli.errors", "ircli.exitcodes")), (
                    f"{path.name} imports {name}"
                )


def test_front_ends_only_call_services() -> None:
    for path in _python_files("cli", "tui"):
        for name in _imports_of(path):
            if name.startswith("ircli"):
                assert name == "ircli" or name.startswith(FRONT_END_ALLOWED[:-1]), (
                    f"{path.name} imports {name}"
                )


def _after_cli(argv: list[str], then: str) -> subprocess.CompletedProcess[str]:
    """Run ``ircli ARGV`` through its entry point in a fresh interpreter, then the Python
    ``then`` (which prints its findings to stderr) in the same process."""
    probe = (
        "import sys\n"
        "from ircli.cli.main import main\n"
        f"sys.argv = ['ircli', *{argv!r}]\n"
        "code = None\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n" + then
    )
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)


def test_cli_process_skips_the_iri_grammar_import() -> None:
    """jsonschema would import rfc3987_syntax (installed with stix2-validator) and spend
    seconds compiling its grammars; an ircli process loading playbooks must not."""
    done = _after_cli(
        ["playbook", "list", "--json"],
        "print('jsonschema' in sys.modules, sys.modules.get('rfc3987_syntax') is not None, code,"
        " file=sys.stderr)\n",
    )
    assert done.stderr.strip().splitlines()[-1] == "True False 0", done.stderr
    assert "distillation" in done.stdout


def test_cli_process_skips_httpx_command_line_client() -> None:
    """httpx imports its own console command (rich, pygments) whenever click and rich are
    installed; an ircli process uses httpx as a library only."""
    done = _after_cli(
        ["--version"],
        "import httpx\n"
        "client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(204)))\n"
        "print(client.get('https://logs.example/').status_code,"
        " 'rich.console' in sys.modules, 'pygments' in sys.modules, file=sys.stderr)\n",
    )
    assert done.stderr.strip().splitlines()[-1] == "204 False False", done.stderr
