"""The distillation journey walked in the TUI, against the real servers: a new incident,
evidence, analysis, the decision, the dry run, approvals written by other responders'
processes (``ircli approve``), termination through scim2-server, the Forum report to
medallion, closing and the timeline export — and the journal matches the one an
automated run of the same answers writes on its own servers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from intel_world import HMAC_KEY, PASSWORD, forum_indicator

from ircli.config import parse_config
from ircli.services.incidents import verify
from ircli.services.workspace import Workspace
from ircli.services.world import generate_world
from ircli.tui.app import IrcliApp
from tests.actions.conftest import SCIM_TOKEN
from tests.journey.test_distillation_journey import _inactive, _provision, _query
from tests.tui.helpers import screen_text, settle
from tests.tui.steps_driver import (
    answered_run,
    at_step,
    confirm,
    decide,
    fill_form,
    shape,
    start_playbook,
    tick_all,
    until,
)

pytestmark = pytest.mark.integration


def _config(world: Path, scim: str, forum: dict[str, Any]) -> dict[str, Any]:
    return {
        "sources": {
            "logs": {"type": "file", "path": str(world / "requests.parquet"), "table": "requests"},
            "accounts": {
                "type": "file",
                "path": str(world / "accounts.parquet"),
                "table": "accounts",
            },
        },
        "actions": {
            "contain": {"type": "scim", "base_url": scim, "token_secret": "scim", "concurrency": 4}
        },
        "forum": forum,
    }


def _automated_run(store: Path, config: dict[str, Any], answers: dict[str, Any]) -> list[Any]:
    """What ``ircli run distillation --answers FILE`` writes, approved by bob and carol."""
    people = {name: Workspace(store, parse_config(config), name) for name in PEOPLE}
    alice, bob, carol = (people[name] for name in PEOPLE)
    incident = answered_run(alice, (bob, carol), "Hydra cluster from detector page", answers)
    events = list(alice.store.events(incident))
    for ws in people.values():
        ws.close()
    return events


PEOPLE = ("alice", "bob", "carol")
IRCLI = (sys.executable, "-m", "ircli")


def _approve_elsewhere(store: Path, config: Path, actor: str, step: str) -> None:
    """Another responder approves from their own terminal: another process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IRCLI_")}
    env.update({"IRCLI_CONFIG": str(config), "IRCLI_SECRET_SCIM": SCIM_TOKEN})
    done = subprocess.run(
        [*IRCLI, "--store", str(store), "--as", actor, "approve", "INC-0001", step],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr


async def test_the_journey_in_the_tui(
    tmp_path: Path,
    medallion: Any,
    scim_process: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IRCLI_SECRET_SCIM", SCIM_TOKEN)
    monkeypatch.setenv("IRCLI_SECRET_FORUM", PASSWORD)
    monkeypatch.setenv("IRCLI_SECRET_FORUM_HMAC", HMAC_KEY)
    world = tmp_path / "world"
    generate_world("tiny", 5, world)
    labels = world / "labels.parquet"
    accounts = [r[0] for r in _query(f"SELECT account_id FROM '{world / 'accounts.parquet'}'")]
    campaign = _query(
        f"SELECT campaign_id FROM '{labels}' WHERE campaign_id IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )[0][0]
    members = {
        r[0] for r in _query(f"SELECT account_id FROM '{labels}' WHERE campaign_id = '{campaign}'")
    }
    seeds = sorted(members)[:3]
    shared_ip = _query(
        f"SELECT src_ip FROM '{world / 'requests.parquet'}' WHERE account_id = '{seeds[0]}' "
        "AND src_ip IS NOT NULL AND src_ip NOT LIKE '%:%' LIMIT 1"
    )[0][0]
    answers = {
        "intake": {"seeds": ", ".join(seeds), "window": "400d"},
        "exculpatory": True,
        "classify": {"option": "campaign", "rationale": "shared payment fingerprints and exits"},
        "notify": True,
        "close": {"summary": "Campaign contained and reported to the Forum"},
    }

    # Two labs' worth of servers: one for the TUI's run, one for the automated run.
    def servers() -> dict[str, Any]:
        scim = f"{scim_process}/t{uuid.uuid4().hex[:12]}"
        _provision(scim, accounts)
        forum = medallion([forum_indicator(1, f"[ipv4-addr:value = '{shared_ip}']", name="x")])
        return _config(world, scim, forum.forum_table())

    tui_config, ref_config = servers(), servers()
    config_file = tmp_path / "ircli.toml"
    from tests.journey.test_distillation_journey import _toml

    config_file.write_text(_toml(tui_config))
    store = tmp_path / "tui.db"
    ws = Workspace(store, parse_config(tui_config), "alice")

    # The automated run of the same answers goes on meanwhile, on its own servers (in a
    # thread: it runs its own event loops; the two runs share nothing but the world files).
    automated = asyncio.create_task(
        asyncio.to_thread(_automated_run, tmp_path / "ref.db", ref_config, answers)
    )
    t0 = time.monotonic()
    app = IrcliApp(ws, live=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one("#title").value = "Hydra cluster from detector page"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: type(app.screen).__name__ == "IncidentScreen", what="open")
        await settle(pilot)
        await start_playbook(pilot)
        await at_step(pilot, "intake", "input")
        print("lap", "intake", "input", round(time.monotonic() - t0, 1))
        await fill_form(pilot, {"seeds": answers["intake"]["seeds"], "window": "400d"})
        await at_step(pilot, "exculpatory", "input", timeout=120)
        print("lap", "exculpatory", "input", round(time.monotonic() - t0, 1))
        await tick_all(pilot)
        await at_step(pilot, "classify", "input")
        print("lap", "classify", "input", round(time.monotonic() - t0, 1))
        await decide(pilot, "campaign", answers["classify"]["rationale"])
        await at_step(pilot, "contain", "approval", timeout=60)
        print("lap", "contain", "approval", round(time.monotonic() - t0, 1))
        assert "waiting for approval by a second responder" in screen_text(app)
        assert _inactive(tui_config["actions"]["contain"]["base_url"]) == set()
        # Two other responders approve from their own processes; the screen notices.
        _approve_elsewhere(store, config_file, "bob", "contain")
        _approve_elsewhere(store, config_file, "carol", "contain")
        ready = await at_step(pilot, "contain", "confirm", timeout=20)
        notes = [str(n.message) for n in app._notifications]
        assert any("approved by bob, carol: press ctrl+r to continue" in m for m in notes)
        print("lap", "contain", "confirm", round(time.monotonic() - t0, 1))
        assert ready.preview is not None and ready.preview.count
        targets = ready.preview.count
        await confirm(pilot, "INC-0001")
        await at_step(pilot, "report", "approval", timeout=120)
        print("lap", "report", "approval", round(time.monotonic() - t0, 1))
        assert len(_inactive(tui_config["actions"]["contain"]["base_url"])) == targets
        _approve_elsewhere(store, config_file, "bob", "report")
        await at_step(pilot, "report", "confirm", timeout=20)
        print("lap", "report", "confirm", round(time.monotonic() - t0, 1))
        await confirm(pilot, "INC-0001")
        await at_step(pilot, "notify", "input", timeout=60)
        print("lap", "notify", "input", round(time.monotonic() - t0, 1))
        await tick_all(pilot)
        await at_step(pilot, "close", "input")
        print("lap", "close", "input", round(time.monotonic() - t0, 1))
        await fill_form(pilot, {"summary": answers["close"]["summary"]})
        await at_step(pilot, "", "done", timeout=60)
        print("lap", "", "done", round(time.monotonic() - t0, 1))
    assert all(r.ok for r in verify(ws, "INC-0001").reports)
    tui_events = list(ws.store.events("INC-0001"))
    ws.close()

    ref_events = await automated
    print("lap ref", round(time.monotonic() - t0, 1))
    assert shape(tui_events) == shape(ref_events)
    exported = [
        e.payload["outputs"]
        for e in tui_events
        if e.type == "step.completed" and e.payload.get("step") == "export"
    ]
    report = Path(exported[-1]["path"])
    assert report.suffix == ".html" and "INC-0001" in report.read_text(encoding="utf-8")
    types = [e.type for e in tui_events]
    for expected in ("evidence.added", "analysis.completed", "report.submitted", "incident.closed"):
        assert expected in types
