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
