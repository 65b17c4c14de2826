"""Guard rails: the two-person rule bound to the exact preview, and the ceiling."""

from __future__ import annotations

from typing import Any

import pytest

from ircli.errors import RefusedError, UsageError, WaitingError
from ircli.exitcodes import ExitCode
from ircli.services.containment import (
    TargetRequest,
    approve_action,
    execute_action,
    preview_action,
)

from .conftest import action_config, http_action

TWELVE = TargetRequest(accounts=tuple(f"acct-{i}" for i in range(12)))


def test_requester_and_same_person_twice_are_refused(admin_api: Any, team: Any) -> None:
    api = admin_api()
    people = team(action_config("contain", http_action(api.url, approvals=2)))
    view = preview_action(people["alice"], "INC-0001", "contain", TWELVE)
    with pytest.raises(RefusedError, match="cannot also approve"):
        approve_action(people["alice"], "INC-0001", "contain")
    approve_action(people["bob"], "INC-0001", "contain", preview_hash=view.preview_hash)
    with pytest.raises(RefusedError, match="distinct"):
        approve_action(people["bob"], "INC-0001", "contain", preview_hash=view.preview_hash)
    with pytest.raises(WaitingError) as caught:
        execute_action(people["alice"], "INC-0001", "contain")
    assert caught.value.exit_code == ExitCode.WAITING_FOR_APPROVAL
    assert caught.value.record["missing"] == 1
    approve_action(people["carol"], "INC-0001", "contain", preview_hash=view.preview_hash[:10])
    assert execute_action(people["alice"], "INC-0001", "contain").totals.succeeded == 12
    assert api.stats()["calls"] == 12


def test_a_changed_target_list_voids_approvals(admin_api: Any, team: Any) -> None:
    api = admin_api()
    people = team(action_config("contain", http_action(api.url)))
    first = preview_action(people["alice"], "INC-0001", "contain", TWELVE)
    approve_action(people["bob"], "INC-0001", "contain", preview_hash=first.preview_hash)
    changed = TargetRequest(accounts=(*TWELVE.accounts, "acct-extra"))
    second = preview_action(people["alice"], "INC-0001", "contain", changed)
    assert second.preview_hash != first.preview_hash
    assert second.approval is not None and second.approval.granted_by == []
    assert second.approval.stale == 1
    with pytest.raises(WaitingError):
        execute_action(people["alice"], "INC-0001", "contain")
    # Carol reviewed the first preview: approving the changed one under that hash is refused.
    with pytest.raises(RefusedError, match="changed after you reviewed"):
        approve_action(people["carol"], "INC-0001", "contain", preview_hash=first.preview_hash)
    assert api.stats()["calls"] == 0


def test_only_listed_approvers_count(admin_api: Any, team: Any) -> None:
    api = admin_api()
    people = team(action_config("contain", http_action(api.url, approvers=["carol"])))
    preview_action(people["alice"], "INC-0001", "contain", TWELVE)
    with pytest.raises(RefusedError, match="may not approve"):
        approve_action(people["bob"], "INC-0001", "contain")
    approve_action(people["carol"], "INC-0001", "contain")


def test_ceiling_blocks_without_override_and_the_override_needs_approval(
    admin_api: Any, team: Any
) -> None:
    api = admin_api()
    people = team(action_config("contain", http_action(api.url, ceiling=10)))
    view = preview_action(people["alice"], "INC-0001", "contain", TWELVE)
    assert view.preview.over_ceiling
    approve_action(people["bob"], "INC-0001", "contain")
    with pytest.raises(RefusedError, match="exceed the ceiling of 10"):
        execute_action(people["alice"], "INC-0001", "contain")
    with pytest.raises(UsageError):
        preview_action(
            people["alice"],
            "INC-0001",
            "contain",
            TargetRequest(accounts=TWELVE.accounts, override_reason="  "),
        )
    over = TargetRequest(accounts=TWELVE.accounts, override_reason="confirmed campaign, 2 leads")
    with pytest.raises(WaitingError):  # the override is part of what must be approved
        execute_action(people["alice"], "INC-0001", "contain", over)
    approve_action(people["bob"], "INC-0001", "contain")
    run = execute_action(people["alice"], "INC-0001", "contain", over)
    assert run.totals.succeeded == 12
    assert run.view.preview.override == "confirmed campaign, 2 leads"
    assert api.stats()["calls"] == 12
