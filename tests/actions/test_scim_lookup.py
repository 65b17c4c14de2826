"""SCIM against a large directory: accounts are looked up by filter, one by one."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ircli.services.containment import TargetRequest, execute_action, preview_action

from .conftest import action_config


def test_large_directory_uses_filtered_lookups_with_quoted_values(team: Any) -> None:
    users = {'acct-"q"': ("id-1", True), "acct-2": ("id-2", True), "acct-3": ("id-3", False)}
    seen: list[str] = []
    patched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if request.method == "GET" and params.get("count") == "0":
            return httpx.Response(200, json={"totalResults": 1_000_000, "Resources": []})
        if request.method == "GET" and "filter" in params:
            seen.append(params["filter"])
            wanted = json.loads(params["filter"].split(" eq ", 1)[1])
            found = (
                [{"id": users[wanted][0], "userName": wanted, "active": users[wanted][1]}]
                if wanted in users
                else []
            )
            return httpx.Response(200, json={"totalResults": len(found), "Resources": found})
        if request.method == "PATCH":
            patched.append(request.url.path.rsplit("/", 1)[1])
            return httpx.Response(204)
        return httpx.Response(500)

    alice = team(
        action_config(
            "contain",
            {
                "type": "scim",
                "base_url": "http://scim.test",
                "token_secret": "scim",
                "approvals": 0,
            },
        )
    )["alice"]
    transport = httpx.MockTransport(handler)
    request = TargetRequest(accounts=('acct-"q"', "acct-2", "acct-3", "acct-4"))
    view = preview_action(alice, "INC-0001", "contain", request, transport=transport)
    assert 'userName eq "acct-\\"q\\""' in seen  # the quote stays inside the string
    assert view.preview.targets == ['acct-"q"', "acct-2"]
    assert {e["account"]: e["reason"] for e in view.preview.excluded} == {
        "acct-3": "already inactive",
        "acct-4": "not found on the account system",
    }
    run = execute_action(alice, "INC-0001", "contain", transport=transport)
    assert run.totals.succeeded == 2 and sorted(patched) == ["id-1", "id-2"]
