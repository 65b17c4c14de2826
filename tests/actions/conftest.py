"""Fixtures for containment: the loopback admin API and a real SCIM server, as subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ircli.config import parse_config
from ircli.core.clock import FixedClock
from ircli.services.incidents import open_incident
from ircli.services.workspace import Workspace

HERE = Path(__file__).parent
T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
SCIM_TOKEN = "scim-test-token"
ADMIN_TOKEN = "admin-test-token"


@dataclass
class AdminApi:
    """A running loopback admin API."""

    url: str
    process: subprocess.Popen[str]
    client: httpx.Client

    def stats(self) -> dict[str, Any]:
        """Everything the server counted."""
        return self.client.get(f"{self.url}/_stats", timeout=10).json()  # type: ignore[no-any-return]


@pytest.fixture
def admin_api() -> Iterator[Callable[..., AdminApi]]:
    """Start admin APIs: ``admin_api(rate=..., delay=..., vanished=[...])``; stopped at the end."""
    started: list[subprocess.Popen[str]] = []
    client = httpx.Client(verify=False)  # plain http on loopback; one client, polled often

    def start(*, rate: float = 0, delay: float = 0, vanished: tuple[str, ...] = ()) -> AdminApi:
        process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "admin_server.py"),
                "--port",
                "0",
                "--rate",
                str(rate),
                "--delay",
                str(delay),
                "--token",
                ADMIN_TOKEN,
                "--vanished",
                ",".join(vanished),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PORT "), line
        return AdminApi(f"http://127.0.0.1:{int(line.split()[1])}", process, client)

    yield start
    client.close()
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def free_port() -> int:
    """A port that was free a moment ago on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def scim_process() -> Iterator[str]:
    """One real ``scim2-server`` on loopback with a bearer token, for the whole session;
    each test gets its own tenant (``--dynamic-tenants``), so no test sees another's users."""
    exe = Path(sys.executable).parent / "scim2-server"
    if not exe.exists():
        pytest.fail("scim2-server is not installed: pip install -e '.[test]'")
    port = free_port()
    process = subprocess.Popen(
        [
            str(exe),
            "--hostname",
            "127.0.0.1",
            "--port",
            str(port),
            "--bearer-token",
            SCIM_TOKEN,
            "--dynamic-tenants",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{url}/ServiceProviderConfig", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("scim2-server did not start")
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def scim_server(scim_process: str) -> str:
    """The base URL of a fresh, empty SCIM tenant."""
    return f"{scim_process}/t{uuid.uuid4().hex[:12]}"


def action_config(name: str, table: dict[str, Any]) -> dict[str, Any]:
    """A whole config document with one action."""
    return {"actions": {name: table}}


def http_action(url: str, **overrides: Any) -> dict[str, Any]:
    """An ``http`` action against the loopback admin API."""
    table: dict[str, Any] = {
        "type": "http",
        "base_url": url,
        "token_secret": "admin",
        "method": "POST",
        "url": "/accounts/{account_id}/terminate",
        "body": {"incident": "{incident}", "account": "{account_id}"},
        "already_done": [409],
        "concurrency": 8,
        "rate": 0,
        "backoff": 0.01,
        "max_backoff": 0.2,
        "rollback": {"method": "POST", "url": "/accounts/{account_id}/reactivate"},
    }
    table.update(overrides)
    return table


def workspace_as(path: Path, config: dict[str, Any], actor: str) -> Workspace:
    """A workspace on ``path`` acting as ``actor``."""
    return Workspace(path, parse_config(config), actor, FixedClock(T0))


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, Workspace]]:
    """``team(config)`` → workspaces for alice (requester), bob and carol on one store."""
    monkeypatch.setenv("IRCLI_SECRET_ADMIN", ADMIN_TOKEN)
    monkeypatch.setenv("IRCLI_SECRET_SCIM", SCIM_TOKEN)
    opened: list[Workspace] = []

    def make(config: dict[str, Any]) -> dict[str, Workspace]:
        people = {
            name: workspace_as(tmp_path / "store.db", config, name)
            for name in ("alice", "bob", "carol")
        }
        opened.extend(people.values())
        if not people["alice"].store.incident_ids():
            open_incident(people["alice"], title="Hydra cluster harvesting CoT")
        return people

    yield make  # type: ignore[misc]
    for ws in opened:
        ws.close()


def env_with_secrets() -> dict[str, str]:
    """The environment a CLI subprocess needs."""
    env = dict(os.environ)
    env["IRCLI_SECRET_ADMIN"] = ADMIN_TOKEN
    env["IRCLI_SECRET_SCIM"] = SCIM_TOKEN
    return env
