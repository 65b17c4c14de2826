"""Unit tests: templates, Retry-After, classification, config validation, selection, limiter."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest

from ircli.actions.base import classify, idempotency_key, retry_after_seconds
from ircli.actions.registry import load_action, parse_settings
from ircli.actions.runner import RateLimiter
from ircli.actions.targets import (
    AccountFacts,
    Candidate,
    read_accounts_table,
    read_allowlist,
    read_candidates,
    select,
)
from ircli.actions.templates import check_template, render_body, render_text
from ircli.errors import ConfigError, ValidationError


def test_templates_substitute_names_only_and_quote_safely() -> None:
    values = {"account_id": 'a/../b"}, "admin": true, {"x', "incident": "INC-0001"}
    assert render_text("/accounts/{account_id}/terminate", values, url=True) == (
        "/accounts/a%2F..%2Fb%22%7D%2C%20%22admin%22%3A%20true%2C%20%7B%22x/terminate"
    )
    body = render_body({"account": "{account_id}", "why": "incident {incident}"}, values)
    assert json.loads(json.dumps(body)) == {
        "account": values["account_id"],
        "why": "incident INC-0001",
    }
    assert set(body) == {"account", "why"}  # no field smuggled in
    with pytest.raises(ConfigError, match="unknown placeholder"):
        check_template("/x/{account_id.__class__}", "actions.t.url")
    with pytest.raises(ConfigError, match="unknown placeholder"):
        check_template("/x/{os.system('id')}", "actions.t.url")


def test_retry_after_forms() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("0.25") == 0.25
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    when = retry_after_seconds("Sun, 01 Mar 2026 09:00:10 GMT", now=1772355600.0)
    assert when == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, "succeeded"),
        (409, "succeeded"),
        (404, "skipped"),
        (401, "auth"),
        (403, "auth"),
        (429, "retry"),
        (503, "retry"),
        (408, "retry"),
        (400, "failed"),
        (422, "failed"),
    ],
)
def test_classify(status: int, expected: str) -> None:
    response = httpx.Response(status, headers={"Retry-After": "3"}, json={"detail": "x"})
    result = classify(
        response,
        success=frozenset({200}),
        already_done=frozenset({409}),
        not_found=frozenset({404}),
        effect="terminated",
    )
    assert result.status == expected
    if status == 409:
        assert result.effect == "already_done"
    if status == 429:
        assert result.retry_after == 3.0


def test_idempotency_key_is_stable_and_distinct() -> None:
    key = idempotency_key("INC-0001", "contain", "terminate", "apply", "acct-1")
    assert key == idempotency_key("INC-0001", "contain", "terminate", "apply", "acct-1")
    assert key != idempotency_key("INC-0001", "contain", "terminate", "rollback", "acct-1")
    assert key != idempotency_key("INC-0002", "contain", "terminate", "apply", "acct-1")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"type": "scim"}, "base_url"),
        ({"type": "scim", "base_url": "ftp://x"}, "base_url"),
        ({"type": "nope", "base_url": "http://x"}, "unknown action type"),
        ({"type": "scim", "base_url": "http://x", "rate": -1}, "rate"),
        ({"type": "scim", "base_url": "http://x", "concurrency": True}, "concurrency"),
        ({"type": "scim", "base_url": "http://x", "operation": "nuke"}, "operation"),
        ({"type": "scim", "base_url": "http://x", "colour": 1}, "unknown key"),
        ({"type": "http", "base_url": "http://x"}, "url"),
        ({"type": "http", "base_url": "http://x", "url": "/a/{who}"}, "placeholder"),
        ({"type": "http", "base_url": "http://x", "url": "/a", "success": ["200"]}, "status"),
    ],
)
def test_config_errors_are_one_readable_line(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_action("t", {"t": table})
    assert "\n" not in caught.value.message


def test_unknown_action_suggests_the_close_name() -> None:
    with pytest.raises(ConfigError) as caught:
        load_action("contian", {"contain": {"type": "scim", "base_url": "http://x"}})
    assert "contain" in (caught.value.hint or "")


def test_builtins_come_from_entry_points() -> None:
    from ircli.actions.registry import action_types

    assert {"scim", "http"} <= set(action_types())
    assert parse_settings("t", {"type": "scim", "base_url": "http://x/"}).base_url == "http://x"


def test_selection_reasons(tmp_path: Path) -> None:
    cands = [
        Candidate("a1", "alert", "c1"),
        Candidate("a2", "alert", "c1"),
        Candidate("a3", "watch", "c1"),
        Candidate("a4", "alert", "c1"),
        Candidate("a5", "alert", "c2"),
        Candidate("a6", "alert", "c1"),
        Candidate("a1", "alert", "c1"),  # duplicate: counted once
    ]
    facts = {"a2": AccountFacts(("reseller",)), "a6": AccountFacts((), active=False)}
    targets, excluded = select(
        cands,
        facts=facts,
        allowlist={"a4": "eval partner"},
        exclude_flags=("reseller",),
        cluster="c1",
    )
    assert [t.account for t in targets] == ["a1"]
    assert {e["account"]: e["reason"] for e in excluded} == {
        "a2": "contract flag: reseller",
        "a3": "verdict is watch, not alert",
        "a4": "allowlisted (eval partner)",
        "a6": "already inactive (accounts table)",
    }
    targets, _ = select(
        cands, facts={}, allowlist={}, exclude_flags=(), include_verdicts=("watch",)
    )
    assert "a3" in [t.account for t in targets]


def test_input_files(tmp_path: Path) -> None:
    analysis = tmp_path / "a.json"
    analysis.write_text(
        json.dumps({"accounts": [{"account_id": "x", "verdict": "alert", "cluster_id": 3}]})
    )
    assert read_candidates(analysis) == [Candidate("x", "alert", "3")]
    listing = tmp_path / "l.txt"
    listing.write_text("# seeds\nacct-1\n\nacct-2\n")
    assert [c.account for c in read_candidates(listing)] == ["acct-1", "acct-2"]
    bad = tmp_path / "bad.txt"
    bad.write_text("acct-1\nacct\x1b[2J\n")
    with pytest.raises(ValidationError, match=r"bad\.txt:2"):
        read_candidates(bad)
    allow = tmp_path / "allow.txt"
    allow.write_text("acct-9   # contracted eval lab\n")
    assert read_allowlist(allow) == {"acct-9": "contracted eval lab"}

    import pyarrow as pa
    import pyarrow.parquet as pq

    from ircli.evidence.schema import arrow_schema

    table = pa.Table.from_pylist(
        [
            {"account_id": "p1", "contract_flags": ["synthetic_data_ok"]},
            {"account_id": "p2", "contract_flags": None},
        ],
        schema=arrow_schema("accounts"),
    )
    pq.write_table(table, tmp_path / "accounts.parquet")
    facts = read_accounts_table(tmp_path / "accounts.parquet")
    assert facts["p1"].contract_flags == ("synthetic_data_ok",) and facts["p2"].contract_flags == ()
    jsonl = tmp_path / "accounts.jsonl"
    jsonl.write_text(
        '{"account_id": "j1", "contract_flags": "eval_partner", "status": "suspended"}\nnot json\n'
    )
    with pytest.raises(ValidationError, match=r"accounts\.jsonl:2"):
        read_accounts_table(jsonl)


def test_rate_limiter_holds_the_rate_and_pauses_everyone() -> None:
    async def measure() -> tuple[float, float]:
        limiter = RateLimiter(200.0)
        start = time.monotonic()
        await asyncio.gather(*(limiter.acquire() for _ in range(100)))
        spread = time.monotonic() - start
        limiter.pause(0.2)
        before = time.monotonic()
        await limiter.acquire()
        return spread, time.monotonic() - before

    spread, paused = asyncio.run(measure())
    assert spread >= 0.45  # 100 slots at 200/s: about half a second, never a burst
    assert paused >= 0.19
