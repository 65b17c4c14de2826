"""Kill -9 at random instants: re-running always ends in the journal state of an uninterrupted run."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from playbook_driver import drive
from playbook_handlers import RECORDER

from ircli.config import Config
from ircli.core.events import Event
from ircli.services.incidents import incident_events, verify
from ircli.services.workspace import Workspace

HANDLER_DELAY = 0.03
KILL_POINTS = 20


def _journal(store: Path) -> list[Event]:
    ws = Workspace(store, Config(), "alice")
    try:
        assert verify(ws).ok
        return list(incident_events(ws, "INC-0001"))
    finally:
        ws.close()


def _effects(events: list[Event]) -> Counter[tuple[Any, ...]]:
    """What happened, without the bookkeeping a resumed step may repeat (step.started,
    step.failed) and without times: every effect must appear exactly as often."""
    out: Counter[tuple[Any, ...]] = Counter()
    for e in events:
        p = e.payload
        if e.type in ("step.started", "step.failed"):
            continue
        if e.type == "step.completed":
            out[(e.type, p["step"], p["visit"], p["next"], str(sorted(p["outputs"].items())))] += 1
        elif e.type == "approval.granted":
            out[(e.type, e.actor, p["step"], p["subject"])] += 1
        elif e.type == "approval.requested":
            out[(e.type, p["step"], p["subject"], p.get("visit"))] += 1
        elif e.type == "decision.recorded":
            out[(e.type, p["step"], p["visit"], p["option"], p["subject"])] += 1
        else:
            out[(e.type, e.actor, str(sorted((k, str(v)) for k, v in p.items())))] += 1
    return out


def _wait_for_store(store: Path, proc: Any) -> float:
    """When the driver has opened its store: the run's work starts then."""
    deadline = time.monotonic() + 30
    while not store.exists():
        assert proc.is_alive() or store.exists(), "the driver exited before opening its store"
        assert time.monotonic() < deadline, "the driver never opened its store"
        time.sleep(0.002)
    return time.monotonic()


def _child(store: Path) -> None:
    RECORDER.delay = HANDLER_DELAY
    drive(store)


def _start(store: Path) -> Any:
    """A forked process running the journey: killed with SIGKILL like any process, but
    without paying Python's start-up for each of the twenty kills."""
    process = multiprocessing.get_context("fork").Process(target=_child, args=(store,))
    process.start()
    return process


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    reference_store = tmp_path / "reference.db"
    proc = _start(reference_store)
    started = _wait_for_store(reference_store, proc)
    proc.join(timeout=60)
    work = time.monotonic() - started
    assert proc.exitcode == 0
    reference_events = _journal(reference_store)
    reference_state = drive(reference_store)  # already complete: resuming changes nothing
    assert _journal(reference_store) == reference_events
    expected = _effects(reference_events)
    assert reference_state["status"] == "completed"

    rng = random.Random(20260301)
    killed_mid_run = 0
    for trial in range(KILL_POINTS):
        store = tmp_path / f"kill-{trial}.db"
        proc = _start(store)
        _wait_for_store(store, proc)
        time.sleep(rng.uniform(0, 0.8 * work))
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGKILL)
        proc.join(timeout=30)
        if proc.exitcode == -signal.SIGKILL:
            killed_mid_run += 1
        state = drive(store)  # resume in this process, as a responder re-running would
        events = _journal(store)
        assert state == reference_state, f"trial {trial}: final run state differs"
        assert _effects(events) == expected, f"trial {trial}: events lost or doubled"
    # The kills must really have interrupted runs, not only hit finished processes.
    assert killed_mid_run >= KILL_POINTS // 2
