"""The playbook step ``accounts.terminate`` drives the same service as ``ircli act``."""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from types import SimpleNamespace
from typing import Any

import pytest

from ircli.errors import ValidationError
from ircli.services.containment import ActionCancelled, action_status
from ircli.services.terminate_step import TerminateStep, target_request

from .conftest import action_config, http_action

ANALYSIS = {
    "accounts": [
        {"account_id": "acct-1", "verdict": "alert", "cluster_id": "c7"},
        {"account_id": "acct-2", "verdict": "watch", "cluster_id": "c7"},
        {"account_id": "acct-3", "verdict": "alert", "cluster_id": "c9"},
        {"account_id": "acct-4", "verdict": "alert", "cluster_id": "c7"},
    ]
}


def record_analysis(ws: Any) -> None:
    """Journal an analysis result the way ``ircli analyze`` does."""
    from ircli.services.analysis import store_result

    result = {**ANALYSIS, "summary": {"accounts": 4}}
    sha, stored = store_result(ws.store.files_dir, result)
    payload = {
        "analysis_id": "AN-" + sha[:8],
        "inputs": [],
        "result_sha256": sha,
        "result_path": str(stored.relative_to(ws.store.files_dir)),
        "summary": result["summary"],
    }
    ws.store.append("INC-0001", "analysis.completed", payload, ws.actor)


def context(ws: Any, **params: Any) -> SimpleNamespace:
    seen: list[tuple[float | None, str]] = []
    return SimpleNamespace(
        ws=ws,
        incident="INC-0001",
        step=SimpleNamespace(id="contain"),
        visit=1,
        params=params,
        variables={"analysis": ANALYSIS},
        progress=lambda fraction, message: seen.append((fraction, message)),
        cancel=threading.Event(),
        seen=seen,
    )


def test_registered_as_a_step_handler() -> None:
    names = {ep.name for ep in entry_points(group="ircli.steps")}
    assert "accounts.terminate" in names


def test_preview_is_stable_and_run_acts_on_the_analysis_cluster(admin_api: Any, team: Any) -> None:
    api = admin_api()
    alice = team(action_config("contain", http_action(api.url)))["alice"]
    record_analysis(alice)
    step = TerminateStep()
    ctx = context(alice, cluster="c7", verdict="alert")
    first = step.preview(ctx)
    assert first == step.preview(ctx)  # approvers approve its hash: it must not drift
    assert first["targets"] == ["acct-1", "acct-4"]
    assert first["excluded"] == [{"account": "acct-2", "reason": "verdict is watch, not alert"}]
    # The engine enforced the approvals; the service does not ask a second time.
    assert not list(alice.store.events("INC-0001", types=["approval.requested"]))
    result = step.run(ctx)
    assert result.outputs["ledger"]["succeeded"] == 2
    assert ctx.seen[-1] == (1.0, "2 of 2 accounts")
    assert set(api.stats()["effects"]) == {"acct-1", "acct-4"}


def test_cancel_stops_between_targets_and_rerun_resumes(admin_api: Any, team: Any) -> None:
    api = admin_api(delay=0.01)
    table = http_action(api.url, concurrency=1)
    alice = team(action_config("contain", table))["alice"]
    ctx = context(alice, accounts=[f"a{i}" for i in range(30)])
    ctx.progress = lambda fraction, message: (
        ctx.cancel.set() if fraction and fraction > 0.2 else None
    )
    with pytest.raises(ActionCancelled):
        TerminateStep().run(ctx)
    assert 0 < action_status(alice, "INC-0001", "contain")["counts"]["succeeded"] < 30
    ctx.cancel = threading.Event()
    ctx.progress = lambda fraction, message: None
    assert TerminateStep().run(ctx).outputs["ledger"]["succeeded"] == 30
    assert sorted(api.stats()["effects"].values()) == [1] * 30


def test_target_request_defaults_to_the_incidents_analysis() -> None:
    assert target_request({}, {}).incident_analysis
    with pytest.raises(ValidationError):
        target_request({"accounts": {"a": 1}}, {})
    request = target_request({"accounts": "a1, a2", "verdict": ["alert", "watch"]}, {})
    assert request.accounts == ("a1", "a2") and request.include_verdicts == ("watch",)
