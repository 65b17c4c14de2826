"""Against a real scim2-server: 2,000 users, contract-flagged ones excluded, the rest
deactivated (every user read back); rollback under its own approval; deletion; bad token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ircli.errors import ExternalServiceError, RefusedError, WaitingError
from ircli.services.containment import (
    TargetRequest,
    approve_action,
    execute_action,
    preview_action,
)
from ircli.services.incidents import verify

from .conftest import SCIM_TOKEN, action_config

pytestmark = pytest.mark.integration

USERS = 2000
FLAGS = ("synthetic_data_ok", "eval_partner", "reseller")
HEADERS = {"Authorization": f"Bearer {SCIM_TOKEN}", "Content-Type": "application/scim+json"}


def account(i: int) -> str:
    return f"acct-{i:05d}"


def provision(url: str, count: int) -> None:
    """Create the users through SCIM Bulk, 1,000 per request (the server's maximum)."""
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        for start in range(0, count, 1000):
            ops = [
                {
                    "method": "POST",
                    "path": "/Users",
                    "bulkId": str(i),
                    "data": {
                        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                        "userName": account(i),
                        # a few were already switched off before the incident
                        "active": i % 97 != 0,
                    },
                }
                for i in range(start, min(start + 1000, count))
            ]
            body = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": ops,
            }
            response = client.post("/Bulk", content=json.dumps(body))
            assert response.status_code == 200, response.text


def read_all(url: str) -> dict[str, bool]:
    """Every user's ``active``, read back page by page."""
    out: dict[str, bool] = {}
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        start = 1
        while True:
            page = client.get("/Users", params={"startIndex": start, "count": 1000}).json()
            for user in page.get("Resources", []):
                out[user["userName"]] = user.get("active", True)
            start += page["itemsPerPage"]
            if start > page["totalResults"] or not page["itemsPerPage"]:
                return out


def flags_of(i: int) -> list[str]:
    return [FLAGS[i % 3]] if i % 10 == 3 else []


def test_deactivates_exactly_the_eligible_users(
    scim_server: str, team: Any, tmp_path: Path
) -> None:
    provision(scim_server, USERS)
    assert len(read_all(scim_server)) == USERS
    table = tmp_path / "accounts.jsonl"
    table.write_text(
        "".join(
            json.dumps({"account_id": account(i), "contract_flags": flags_of(i)}) + "\n"
            for i in range(USERS)
        )
    )
    analysis = tmp_path / "analysis.json"
    analysis.write_text(
        json.dumps(
            {
                "accounts": [
                    {"account_id": account(i), "verdict": "alert", "cluster_id": "c1"}
                    for i in range(USERS)
                ]
            }
        )
    )
    config = action_config(
        "contain",
        {
            "type": "scim",
            "base_url": scim_server,
            "token_secret": "scim",
            "concurrency": 2,
            "rate": 0,
            "backoff": 0.01,
        },
    )
    people = team(config)
    alice, bob = people["alice"], people["bob"]

    view = preview_action(
        alice, "INC-0001", "contain", TargetRequest(targets_file=analysis, accounts_file=table)
    )
    flagged = {account(i): flags_of(i)[0] for i in range(USERS) if flags_of(i)}
    inactive = {account(i) for i in range(USERS) if i % 97 == 0} - set(flagged)
    reasons = {e["account"]: e["reason"] for e in view.preview.excluded}
    assert {a for a, r in reasons.items() if r.startswith("contract flag")} == set(flagged)
    for acct, flag in flagged.items():
        assert reasons[acct] == f"contract flag: {flag}"
    assert {a for a, r in reasons.items() if r == "already inactive"} == inactive
    eligible = {account(i) for i in range(USERS)} - set(flagged) - inactive
    assert set(view.preview.targets) == eligible
    assert len(view.preview.refs) == len(eligible)  # resolved to SCIM ids once, at preview

    approve_action(bob, "INC-0001", "contain", preview_hash=view.preview_hash)
    run = execute_action(alice, "INC-0001", "contain")
    assert (run.totals.succeeded, run.failed) == (len(eligible), 0)

    state = read_all(scim_server)
    assert {a for a, active in state.items() if not active} == eligible | {
        account(i) for i in range(USERS) if i % 97 == 0
    }
    assert all(state[a] for a in flagged if int(a[5:]) % 97)  # untouched, still active
    assert verify(alice, "INC-0001").ok


def test_rollback_reactivates_what_the_action_deactivated(scim_server: str, team: Any) -> None:
    provision(scim_server, 120)  # users 0 and 97 start inactive
    people = team(
        action_config(
            "contain",
            {
                "type": "scim",
                "base_url": scim_server,
                "token_secret": "scim",
                "backoff": 0.01,
                "concurrency": 2,
            },
        )
    )
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    view = preview_action(
        alice, "INC-0001", "contain", TargetRequest(accounts=tuple(account(i) for i in range(100)))
    )
    assert len(view.preview.targets) == 98
    approve_action(bob, "INC-0001", "contain")
    execute_action(alice, "INC-0001", "contain")
    assert sum(not a for a in read_all(scim_server).values()) == 100

    back = preview_action(alice, "INC-0001", "contain", rollback=True)
    assert set(back.preview.targets) == set(view.preview.targets)
    with pytest.raises(WaitingError):  # the apply step's approval does not carry over
        execute_action(alice, "INC-0001", "contain", rollback=True)
    with pytest.raises(RefusedError):
        approve_action(alice, "INC-0001", "contain", rollback=True)
    approve_action(carol, "INC-0001", "contain", rollback=True, preview_hash=back.preview_hash)
    undone = execute_action(alice, "INC-0001", "contain", rollback=True)
    assert undone.totals.succeeded == 98
    state = read_all(scim_server)
    assert {a for a, active in state.items() if not active} == {account(0), account(97)}
    assert verify(alice, "INC-0001").ok


def test_resumed_target_is_read_before_it_is_written(scim_server: str, team: Any) -> None:
    """An in-flight target whose PATCH landed is reconciled from the user's state."""
    provision(scim_server, 3)
    people = team(
        action_config(
            "contain",
            {
                "type": "scim",
                "base_url": scim_server,
                "token_secret": "scim",
                "approvals": 0,
            },
        )
    )
    alice = people["alice"]
    view = preview_action(
        alice, "INC-0001", "contain", TargetRequest(accounts=(account(1), account(2)))
    )
    # A run that marked both in flight, deactivated account 1 and then died:
    alice.store.append_many(
        "INC-0001",
        [
            (
                "action.target_started",
                {"step": "contain", "mode": "apply", "account_id": a, "key": "k"},
            )
            for a in view.preview.targets
        ],
        "alice",
    )
    ref = view.preview.refs[account(1)]
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    httpx.patch(f"{scim_server}/Users/{ref}", headers=HEADERS, content=json.dumps(patch))

    run = execute_action(alice, "INC-0001", "contain")
    assert run.totals.resumed == 2 and run.totals.succeeded == 2
    events = {
        e.payload["account_id"]: e.payload
        for e in alice.store.events("INC-0001", types=["action.target_succeeded"])
    }
    assert events[account(1)]["reason"].startswith("reconciled")
    assert "reason" not in events[account(2)]
    assert read_all(scim_server) == {account(0): False, account(1): False, account(2): False}


def test_delete_operation_removes_users_and_cannot_be_rolled_back(
    scim_server: str, team: Any
) -> None:
    provision(scim_server, 5)
    people = team(
        action_config(
            "contain",
            {
                "type": "scim",
                "base_url": scim_server,
                "token_secret": "scim",
                "operation": "delete",
                "approvals": 0,
            },
        )
    )
    alice = people["alice"]
    view = preview_action(
        alice, "INC-0001", "contain", TargetRequest(accounts=(account(1), account(2), "ghost"))
    )
    assert view.preview.targets == [account(1), account(2)]
    assert view.preview.excluded == [
        {"account": "ghost", "reason": "not found on the account system"}
    ]
    run = execute_action(alice, "INC-0001", "contain")
    assert run.totals.succeeded == 2
    assert set(read_all(scim_server)) == {account(0), account(3), account(4)}
    with pytest.raises(RefusedError, match="cannot be rolled back"):
        execute_action(alice, "INC-0001", "contain", rollback=True)


def test_bad_scim_token_stops_with_a_clear_message(
    scim_server: str, team: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provision(scim_server, 2)
    people = team(
        action_config(
            "contain",
            {"type": "scim", "base_url": scim_server, "token_secret": "scim", "approvals": 0},
        )
    )
    monkeypatch.setenv("IRCLI_SECRET_SCIM", "wrong")
    with pytest.raises(ExternalServiceError, match="refused the credentials"):
        preview_action(
            people["alice"], "INC-0001", "contain", TargetRequest(accounts=(account(1),))
        )
