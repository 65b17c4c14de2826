"""How the app starts: its first frame needs neither the configuration model (pydantic)
nor the incident workspace's modules; the configuration is read after that frame, and
what goes wrong there still ends as one error for the command line to report."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from ircli.errors import ConfigError, NotFoundError
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace
from ircli.tui.app import IrcliApp
from tests.tui.helpers import screen_text, settle


def test_the_first_frame_imports_no_config_model_or_analysis() -> None:
    probe = (
        "import ircli.tui.app, sys, json\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(("
        "'pydantic', 'ircli.config', 'ircli.tui.incident', 'duckdb', 'pyarrow', 'httpx')))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def _deferred(ws: Workspace, **kwargs: object) -> IrcliApp:
    resolve = partial(Workspace.from_environment, store=ws.store_path, actor="carol")
    return IrcliApp(resolve, live=False, **kwargs)  # type: ignore[arg-type]


async def test_a_deferred_start_reads_the_config_then_fills_the_board(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_incident(ws, title="Relay laundering through a reseller")
    config = tmp_path / "ircli.toml"
    config.write_text('[tui]\ntheme = "light"\n[tui.keys]\n"home.new" = "ctrl+n"\n')
    monkeypatch.setenv("IRCLI_CONFIG", str(config))
    app = _deferred(ws)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.started and app.template.actor == "carol"
        assert app.theme == "textual-light" and app.settings.keymap == {"home.new": "ctrl+n"}
        assert "Relay laundering through a reseller" in screen_text(app)


async def test_a_deferred_start_opens_the_incident_asked_for(ws: Workspace) -> None:
    state = open_incident(ws, title="Hydra")
    app = _deferred(ws, incident="1")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert getattr(app.screen, "incident_id", None) == state.id == "INC-0001"


@pytest.mark.parametrize(
    ("config", "incident", "error", "words"),
    [
        ('[tui.keys]\n"home.nwe" = "ctrl+n"\n', None, ConfigError, "unknown action id"),
        ("[tui]\ntheme = 3\n", None, ConfigError, "tui.theme"),
        ("", "INC-0042", NotFoundError, "no incident INC-0042"),
    ],
)
async def test_a_deferred_start_that_fails_ends_the_app_with_the_error(
    ws: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    incident: str | None,
    error: type[Exception],
    words: str,
) -> None:
    path = tmp_path / "ircli.toml"
    path.write_text(config)
    monkeypatch.setenv("IRCLI_CONFIG", str(path))
    app = _deferred(ws, incident=incident)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        for _ in range(100):
            if not app.is_running:
                break
            await pilot.pause(0.05)
    assert isinstance(app.start_error, error) and words in str(app.start_error)


def test_run_raises_the_start_error_for_the_command_line(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ircli import tui

    def fake_run(self: IrcliApp) -> None:
        self.workspace_ready(None, NotFoundError("no incident INC-0042"))

    monkeypatch.setattr(IrcliApp, "run", fake_run)
    with pytest.raises(NotFoundError, match="INC-0042"):
        tui.run(partial(Workspace.from_environment, store=ws.store_path), incident="INC-0042")
