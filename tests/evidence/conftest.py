"""Fixtures for evidence tests: canonical data, an in-memory keyring, a loopback log API
and a real ClickHouse server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from evidence_clickhouse import CLICKHOUSE_PASSWORD  # noqa: E402
from evidence_keyring import MemoryKeyring  # noqa: E402
from evidence_world import canonical_requests, write_jsonl  # noqa: E402

CLICKHOUSE = shutil.which("clickhouse-server") or (
    "/usr/sbin/clickhouse-server" if Path("/usr/sbin/clickhouse-server").exists() else None
)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The process keyring replaced by an in-memory one for the test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def world_records() -> list[dict[str, Any]]:
    """3,000 canonical request records."""
    return canonical_requests(3000)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic world's ``tiny`` preset (seed 7), generated once per session."""
    from ircli.services.world import generate_world

    out = tmp_path_factory.mktemp("tiny-world")
    generate_world("tiny", 7, out, force=True)
    return out


@pytest.fixture
def world_file(tmp_path: Path, world_records: list[dict[str, Any]]) -> Path:
    """The canonical records as JSONL."""
    return write_jsonl(tmp_path / "requests.jsonl", world_records)


@pytest.fixture
def logapi(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start the loopback log API (``--file F`` or ``--synthetic N``); returns its base URL."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> str:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "evidence_logapi.py"), *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("PORT "), line
        return f"http://127.0.0.1:{int(line.split()[1])}"

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def clickhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ClickHouse server on 127.0.0.1 (HTTP URL), stopped at the end of the session."""
    if CLICKHOUSE is None:
        pytest.skip("clickhouse-server is not installed (make test installs it through apt)")
    root = tmp_path_factory.mktemp("clickhouse")
    http_port, tcp_port = free_port(), free_port()
    (root / "users.xml").write_text(
        f"""<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password>{CLICKHOUSE_PASSWORD}</password>
    <networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota>
  </default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
"""
    )
    (root / "config.xml").write_text(
        f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{root}/server.log</log><errorlog>{root}/err.log</errorlog></logger>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{root}/data/</path>
  <tmp_path>{root}/tmp/</tmp_path>
  <user_files_path>{root}/user_files/</user_files_path>
  <format_schema_path>{root}/format_schemas/</format_schema_path>
  <users_config>{root}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
</yandex>
"""
    )
    proc = subprocess.Popen(
        [CLICKHOUSE, f"--config-file={root}/config.xml"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=root,
    )
    url = f"http://127.0.0.1:{http_port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(url + "ping", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"clickhouse-server did not start; see {root}/err.log")
        time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running ``python -m ircli`` in a subprocess against the test store."""
    env = dict(os.environ)
    env["IRCLI_STORE"] = str(tmp_path / "store.db")
    env["IRCLI_CONFIG"] = str(tmp_path / "ircli.toml")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env
