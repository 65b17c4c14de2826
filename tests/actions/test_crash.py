"""Crash safety: SIGKILL at 20 random instants of a 2,000-target run, then run to completion.

The loopback admin API counts every call by idempotency key and applies each key's side
effect once, so "exactly once" is checked on the server's side, not on ircli's word.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ircli.services.containment import TargetRequest, action_status, approve_action, preview_action
from ircli.services.incidents import verify

from .conftest import action_config, env_with_secrets, http_action

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TARGETS = 2000
KILLS = 20


def toml_config(table: dict[str, Any]) -> str:
    lines = ["[actions.contain]"]
    rollback = table.pop("rollback", None)
    for key, value in table.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items())
            lines.append(f"{key} = {{ {inner} }}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    if rollback:
        lines.append("[actions.contain.rollback]")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in rollback.items())
    return "\n".join(lines) + "\n"


def test_sigkill_at_random_instants_then_resume(admin_api, team, tmp_path: Path) -> None:
    rng = random.Random(20260301)
    accounts = [f"acct-{i:05d}" for i in range(TARGETS)]
    vanished = tuple(accounts[i] for i in range(5, TARGETS, 400))
    api = admin_api(delay=0.001, vanished=vanished)
    table = http_action(api.url, concurrency=8, rate=400.0)
    people = team(action_config("contain", dict(table)))
    config = tmp_path / "ircli.toml"
    config.write_text(toml_config(dict(table)))
    allowlist = tmp_path / "allow.txt"
    allowlist.write_text("acct-00001  # eval partner under NDA\nacct-00002\n")

    view = preview_action(
        people["alice"],
        "INC-0001",
        "contain",
        TargetRequest(accounts=tuple(accounts), allowlist_file=allowlist),
    )
    assert len(view.preview.targets) == TARGETS - 2
    approve_action(people["bob"], "INC-0001", "contain", preview_hash=view.preview_hash)
    for ws in people.values():
        ws.close()

    command = [
        sys.executable,
        "-m",
        "ircli",
        "--store",
        str(tmp_path / "store.db"),
        "--config",
        str(config),
        "--as",
        "alice",
        "act",
        "INC-0001",
        "contain",
        "--execute",
        "--json",
    ]
    env = env_with_secrets()
    killed_mid_work = 0
    for _ in range(KILLS):
        before = api.stats()["calls"]
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 15
        while api.stats()["calls"] == before and process.poll() is None:
            assert time.monotonic() < deadline, "the run never started acting"
            time.sleep(0.03)
        time.sleep(rng.uniform(0.0, 0.35))
        if process.poll() is None:
            killed_mid_work += 1
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert killed_mid_work >= KILLS // 2  # the kills really interrupted work

    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    summary = json.loads(final.stdout)
    assert summary["ledger"]["failed"] == 0

    stats = api.stats()
    eligible = set(view.preview.targets) - set(vanished)
    assert stats["effects"] == {a: 1 for a in eligible}  # exactly once each, none missed
    assert set(stats["terminated"]) == eligible

    from ircli.config import parse_config
    from ircli.services.workspace import Workspace

    with Workspace(
        tmp_path / "store.db", parse_config(action_config("contain", table)), "alice"
    ) as ws:
        assert verify(ws, "INC-0001").ok
        status = action_status(ws, "INC-0001", "contain")
    states = {t["account"]: t for t in status["targets"]}
    assert {a for a, t in states.items() if t["state"] == "succeeded"} == eligible
    assert {a for a, t in states.items() if t["state"] == "skipped"} == set(vanished)
    assert all("vanished" in states[a]["reason"] for a in vanished)
    assert status["counts"]["in_flight"] == status["counts"]["pending"] == 0
