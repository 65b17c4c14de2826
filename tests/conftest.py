"""Shared fixtures: every test runs hermetic — its own store, config, data dirs and cwd."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from ircli.config import Config
from ircli.core.clock import FixedClock
from ircli.services.workspace import Workspace

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)


class EmptyKeyring(KeyringBackend):
    """An in-memory keyring: every test starts with one, empty."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.values.pop((service, username), None)


@pytest.fixture(autouse=True)
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads or writes the user's real store, config or keyring.

    The process keyring is a fresh in-memory one; a test that needs "no keyring at all"
    sets ``keyring.set_keyring(keyring.backends.fail.Keyring())`` itself.
    """
    home = tmp_path / "home"
    home.mkdir()
    for var in list(os.environ):
        if var.startswith("IRCLI_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("IRCLI_STORE", str(tmp_path / "store.db"))
    monkeypatch.chdir(tmp_path)
    previous = keyring.get_keyring()
    keyring.set_keyring(EmptyKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def clock() -> FixedClock:
    """A deterministic clock ticking one second per call."""
    return FixedClock(T0)


@pytest.fixture
def ws(tmp_path: Path, clock: FixedClock) -> Iterator[Workspace]:
    """A workspace on a fresh store, acting as alice."""
    workspace = Workspace(tmp_path / "store.db", Config(), "alice", clock)
    yield workspace
    workspace.close()


@dataclass
class CliResult:
    """What one CLI invocation produced."""

    code: int
    out: str
    err: str


@pytest.fixture
def ircli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run the CLI in-process: ``ircli("incident", "list", "--json")`` → CliResult."""
    from ircli.cli.main import run

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke
