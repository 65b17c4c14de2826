"""The whole flow against the loopback admin API: preview, approvals, execute, resume, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from ircli.errors import WaitingError
from ircli.services.containment import (
    TargetRequest,
    action_status,
    approve_action,
    execute_action,
    preview_action,
)
from ircli.services.incidents import verify

from .conftest import action_config, http_action


def test_preview_approve_execute_and_rerun_is_a_no_op(admin_api, team, tmp_path: Path) -> None:
    api = admin_api()
    people = team(action_config("contain", http_action(api.url)))
    alice, bob = people["alice"], people["bob"]
    request = TargetRequest(accounts=tuple(f"acct-{i:03d}" for i in range(40)))

    view = preview_action(alice, "INC-0001", "contain", request)
    assert view.saved and len(view.preview.targets) == 40
    assert view.approval is not None and view.approval.missing == 1
    with pytest.raises(WaitingError):
        execute_action(alice, "INC-0001", "contain")
    assert api.stats()["calls"] == 0

    approve_action(bob, "INC-0001", "contain", preview_hash=view.preview_hash[:12])
    run = execute_action(alice, "INC-0001", "contain")
    assert run.totals.succeeded == 40 and run.failed == 0
    stats = api.stats()
    assert stats["effects"] == {f"acct-{i:03d}": 1 for i in range(40)}

    again = execute_action(alice, "INC-0001", "contain", request)
    assert again.totals.targets == 0 and api.stats()["calls"] == 40
    status = action_status(alice, "INC-0001", "contain")
    assert status["counts"]["succeeded"] == 40
    assert verify(alice, "INC-0001").ok


def test_timeline_tells_the_ledger_in_words(admin_api, team) -> None:
    from ircli.services.incidents import incident_timeline

    api = admin_api(vanished=("acct-2",))
    alice = team(action_config("contain", http_action(api.url, approvals=0)))["alice"]
    preview_action(alice, "INC-0001", "contain", TargetRequest(accounts=("acct-1", "acct-2")))
    execute_action(alice, "INC-0001", "contain")
    lines = [e.message for e in incident_timeline(alice, "INC-0001")]
    assert any("previewed: 2 target(s)" in line for line in lines)
    assert any(line.startswith("acct-1: in flight") for line in lines)
    assert "acct-1: terminated (contain)" in lines
    assert any(line.startswith("acct-2: skipped: account not found") for line in lines)
    assert any("run finished" in line for line in lines)


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import sys

    from ircli.cli.act import progress_bar

    with progress_bar(enabled=True) as update:
        assert update is None  # captured stderr is no terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with progress_bar(enabled=True) as update:
        assert update is not None
        update(5, 10)
        update(10, 10)
    assert "acting" in capsys.readouterr().err
    with progress_bar(enabled=False) as update:  # --json: never a bar
        assert update is None


def test_client_rate_limit_keeps_under_the_servers(admin_api, team) -> None:
    import time

    api = admin_api(rate=40)
    table = http_action(api.url, approvals=0, rate=40.0, concurrency=4)
    alice = team(action_config("contain", table))["alice"]
    accounts = tuple(f"acct-{i:03d}" for i in range(80))
    preview_action(alice, "INC-0001", "contain", TargetRequest(accounts=accounts))
    started = time.monotonic()
    run = execute_action(alice, "INC-0001", "contain")
    elapsed = time.monotonic() - started
    assert run.totals.succeeded == 80 and run.failed == 0
    assert elapsed >= 80 / 40 * 0.9  # never faster than the configured rate
    stats = api.stats()
    # Without the client-side limit the server would refuse most of them (4 workers, ~ms each).
    assert stats["limited"] <= 20
    assert len(stats["effects"]) == 80


def test_apply_after_rollback_is_a_new_approved_act(admin_api, team) -> None:
    from ircli.errors import UsageError

    api = admin_api()
    people = team(action_config("contain", http_action(api.url)))
    alice, bob = people["alice"], people["bob"]
    accounts = ("acct-1", "acct-2", "acct-3")
    request = TargetRequest(accounts=accounts)

    first = preview_action(alice, "INC-0001", "contain", request)
    approve_action(bob, "INC-0001", "contain", preview_hash=first.preview_hash)
    assert execute_action(alice, "INC-0001", "contain").totals.succeeded == 3

    back = preview_action(alice, "INC-0001", "contain", rollback=True)
    approve_action(bob, "INC-0001", "contain", rollback=True, preview_hash=back.preview_hash)
    assert execute_action(alice, "INC-0001", "contain", rollback=True).totals.succeeded == 3
    assert api.stats()["terminated"] == []

    # The old preview and its approval do not cover acting again.
    with pytest.raises(UsageError, match="undone since"):
        execute_action(alice, "INC-0001", "contain")
    with pytest.raises(WaitingError):
        execute_action(alice, "INC-0001", "contain", request)
    again = preview_action(alice, "INC-0001", "contain", request)
    assert again.preview_hash != first.preview_hash
    assert again.counts["pending"] == 3
    approve_action(bob, "INC-0001", "contain", preview_hash=again.preview_hash)
    run = execute_action(alice, "INC-0001", "contain", request)
    # New idempotency keys: the server acts again instead of replaying its cached answers.
    assert run.totals.succeeded == 3
    stats = api.stats()
    assert stats["effects"] == {a: 2 for a in accounts} | {f"reactivate:{a}": 1 for a in accounts}
    assert sorted(stats["terminated"]) == list(accounts)

    # And the second round can be rolled back in turn, under a new approval.
    back2 = preview_action(alice, "INC-0001", "contain", rollback=True)
    assert back2.preview_hash != back.preview_hash
    approve_action(bob, "INC-0001", "contain", rollback=True, preview_hash=back2.preview_hash)
    assert execute_action(alice, "INC-0001", "contain", rollback=True).totals.succeeded == 3
    assert api.stats()["effects"] == {a: 2 for a in accounts} | {
        f"reactivate:{a}": 2 for a in accounts
    }
    assert verify(alice, "INC-0001").ok
