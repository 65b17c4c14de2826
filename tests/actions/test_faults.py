"""Faults, with httpx.MockTransport: 429 storms, 5xx bursts, timeouts, 404, 401, 400."""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ircli.errors import ExternalServiceError
from ircli.services.containment import (
    TargetRequest,
    action_status,
    execute_action,
    preview_action,
)
from ircli.services.incidents import verify

from .conftest import action_config, http_action

N = 60
ACCOUNTS = tuple(f"acct-{i:03d}" for i in range(N))


class FakeAdminApi:
    """Records every request; ``fault(request, n)`` may answer instead of the happy path."""

    def __init__(self, fault: Callable[[httpx.Request, int], httpx.Response | None]) -> None:
        self.fault = fault
        self.calls: list[tuple[float, str, str, int]] = []
        self.keys: dict[str, set[str]] = defaultdict(set)
        self.effects: Counter[str] = Counter()
        self.seen_keys: set[str] = set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        account = request.url.path.split("/")[2]
        key = request.headers["idempotency-key"]
        self.keys[account].add(key)
        response = self.fault(request, len(self.calls))
        if response is None:
            if key not in self.seen_keys:
                self.seen_keys.add(key)
                self.effects[account] += 1
            response = httpx.Response(200, json={"ok": True})
        self.calls.append((time.monotonic(), account, key, response.status_code))
        return response


def setup(team: Any, **overrides: Any) -> Any:
    table = http_action("http://admin.test", approvals=0, max_attempts=6, **overrides)
    alice = team(action_config("contain", table))["alice"]
    preview_action(alice, "INC-0001", "contain", TargetRequest(accounts=ACCOUNTS))
    return alice


def run(alice: Any, api: FakeAdminApi) -> Any:
    return execute_action(alice, "INC-0001", "contain", transport=httpx.MockTransport(api))


def test_429_storm_honours_retry_after_for_the_whole_run(team: Any) -> None:
    start: list[float] = []

    def fault(request: httpx.Request, n: int) -> httpx.Response | None:
        start.append(time.monotonic())
        if time.monotonic() < start[0] + 0.4:
            return httpx.Response(429, headers={"Retry-After": "0.1"})
        return None

    api = FakeAdminApi(fault)
    result = run(setup(team), api)
    assert result.failed == 0 and result.totals.succeeded == N
    limited = [c for c in api.calls if c[3] == 429]
    assert limited, "the storm happened"
    # Everyone waits out Retry-After: at most a wave of 8 per 0.1 s, not a hammering.
    assert len(limited) <= 8 * 6
    # Whenever calls resumed after a pause, they had waited the full Retry-After.
    times = [c[0] for c in limited]
    pauses = [b - a for a, b in itertools.pairwise(times) if b - a > 0.02]
    assert pauses and min(pauses) >= 0.095
    assert api.effects == Counter({a: 1 for a in ACCOUNTS})


def test_5xx_bursts_and_timeouts_are_retried_with_the_same_key(team: Any) -> None:
    attempts: Counter[str] = Counter()

    def fault(request: httpx.Request, n: int) -> httpx.Response | None:
        # Each target's faults depend on the target and its attempt number only, not on
        # the order concurrent workers reach the server, and stop before the sixth and
        # last attempt: the run must succeed everywhere, every time.
        account = request.url.path.split("/")[2]
        attempt = attempts[account]
        attempts[account] += 1
        rng = random.Random(f"{account}:{attempt}")
        roll = rng.random()
        if attempt >= 4:
            return None
        if roll < 0.15:
            raise httpx.ReadTimeout("slow", request=request)
        if roll < 0.35:
            return httpx.Response(rng.choice([500, 502, 503, 504]))
        return None

    api = FakeAdminApi(fault)
    result = run(setup(team), api)
    assert result.failed == 0 and result.totals.succeeded == N
    assert result.totals.retries > 5
    assert all(len(keys) == 1 for keys in api.keys.values())  # one key per target, always
    assert api.effects == Counter({a: 1 for a in ACCOUNTS})


def test_404_is_skipped_with_a_reason_and_400_fails_permanently(team: Any) -> None:
    def fault(request: httpx.Request, n: int) -> httpx.Response | None:
        account = request.url.path.split("/")[2]
        if account == "acct-007":
            return httpx.Response(404, json={"error": "no such account"})
        if account == "acct-009":
            return httpx.Response(400, json={"message": "account is \x1b[31mlocked"})
        if account == "acct-011":
            return httpx.Response(503)
        return None

    alice = setup(team)
    api = FakeAdminApi(fault)
    result = run(alice, api)
    assert result.totals.succeeded == N - 3
    states = {t["account"]: t for t in action_status(alice, "INC-0001", "contain")["targets"]}
    assert states["acct-007"]["state"] == "skipped"
    assert "vanished" in states["acct-007"]["reason"]
    assert states["acct-009"]["state"] == "failed"
    assert "\x1b" not in states["acct-009"]["reason"]  # attacker-shaped text is made inert
    assert result.failed == 2
    failures = {f["account"]: f for f in result.failures}
    assert failures["acct-009"]["permanent"] is True
    assert failures["acct-011"]["permanent"] is False
    assert "gave up after 6 attempts" in failures["acct-011"]["reason"]
    assert sum(1 for c in api.calls if c[1] == "acct-009") == 1  # permanent: not retried

    # A re-run retries only the failures; the skipped and succeeded ones are left alone.
    healthy = FakeAdminApi(lambda request, n: None)
    again = run(alice, healthy)
    assert {c[1] for c in healthy.calls} == {"acct-009", "acct-011"}
    assert again.failed == 0


def test_401_stops_early_without_marking_targets_failed(team: Any) -> None:
    def fault(request: httpx.Request, n: int) -> httpx.Response | None:
        if n >= 20:
            return httpx.Response(401, json={"error": "token revoked"})
        return None

    alice = setup(team, concurrency=4)
    api = FakeAdminApi(fault)
    with pytest.raises(ExternalServiceError) as caught:
        run(alice, api)
    assert "refused ircli's credentials" in caught.value.message
    assert "HTTP 401" in caught.value.message
    assert "re-run" in (caught.value.hint or "")
    status = action_status(alice, "INC-0001", "contain")
    assert status["counts"]["failed"] == 0
    assert status["counts"]["succeeded"] == 20
    assert len(api.calls) < 20 + 8  # stopped at once, not after trying all 60
    stopped = list(alice.store.events("INC-0001", types=["action.stopped"]))
    assert len(stopped) == 1

    healthy = FakeAdminApi(lambda request, n: None)
    result = run(alice, healthy)
    assert result.counts["succeeded"] == N and result.failed == 0
    assert {c[1] for c in healthy.calls} == set(ACCOUNTS[20:]) | {
        c[1] for c in api.calls if c[3] == 401
    }
    # In-flight targets were re-sent with the key they had before the stop.
    for account in {c[1] for c in api.calls if c[3] == 401}:
        assert api.keys[account] == healthy.keys[account]
    assert verify(alice, "INC-0001").ok
