"""Matching indicators against canonical evidence tables, and the Forum configuration."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intel_world import (
    ATTACKERS,
    BYSTANDERS,
    CANARY_PAYMENT,
    CANARY_RESPROXY_IP,
    canary_world,
    forum_ws,
    policy,
    write_evidence,
)

from ircli.errors import ConfigError, NotFoundError
from ircli.intel.fingerprints import template_fingerprint, template_fingerprint_sql
from ircli.intel.indicators import IntelIndicator
from ircli.intel.match import Evidence, match_indicators
from ircli.intel.patterns import parse_pattern
from ircli.intel.settings import forum_settings
from ircli.services import intel
from ircli.services.incidents import open_incident

FORUM = {"url": "http://127.0.0.1:9/", "api_root": "api1", "collection": "c", "username": "lab"}


def _indicator(pattern: str, n: int = 1) -> IntelIndicator:
    return IntelIndicator(
        id=f"indicator--00000000-0000-4000-8000-{n:012d}",
        modified="2026-01-01T00:00:00.000Z",
        pattern=pattern,
        source=None,
        source_name=None,
        terms=tuple(parse_pattern(pattern)),
    )


@pytest.fixture
def evidence(tmp_path: Path) -> Any:
    ws = forum_ws(tmp_path, FORUM)
    inc = open_incident(ws, title="x").id
    write_evidence(ws, inc, canary_world())
    requests, accounts = intel.evidence_files(ws, inc)
    found = Evidence(requests, accounts)
    yield found
    found.close()
    ws.close()


def _accounts(pattern: str, evidence: Evidence) -> set[str]:
    found = match_indicators([_indicator(pattern)], evidence, policy())
    return set(found[0].accounts) if found else set()


def test_cidr_exact_like_and_keyed_matches(evidence: Evidence) -> None:
    assert _accounts("[ipv4-addr:value = '198.51.100.0/24']", evidence) == set(ATTACKERS)
    assert _accounts("[ipv4-addr:value = '198.51.0.0/16']", evidence) == set(ATTACKERS)
    assert _accounts("[ipv4-addr:value = '198.51.101.0/24']", evidence) == set()
    assert _accounts("[ipv6-addr:value = '2001:db8::/48']", evidence)
    assert _accounts("[ipv4-addr:value = '192.0.2.50']", evidence) == set(BYSTANDERS)
    assert _accounts("[autonomous-system:number = 64600]", evidence) == set(BYSTANDERS)
    ua = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
    assert _accounts(f"[{ua} LIKE 'Mozilla/%']", evidence) == set(BYSTANDERS)
    assert _accounts(f"[{ua} = 'Mozilla/5.0']", evidence) == set(BYSTANDERS)
    assert _accounts(f"[{ua} = 'mozilla/5.0']", evidence) == set()
    token = policy().token("ip", CANARY_RESPROXY_IP)
    hashed = f"[ircli-fingerprint:kind = 'ip' AND ircli-fingerprint:value = '{token}']"
    assert _accounts(hashed, evidence) == set(ATTACKERS)  # request src_ip and signup_ip
    wrong_key = policy().token("payment", "pf-other")
    pattern = f"[ircli-fingerprint:kind = 'payment-fingerprint' AND ircli-fingerprint:value = '{wrong_key}']"
    assert _accounts(pattern, evidence) == set()


def test_a_sighting_counts_each_record_once_even_when_terms_overlap(evidence: Evidence) -> None:
    pattern = (
        "[ipv4-addr:value = '198.51.100.23'] OR [ipv4-addr:value = '198.51.100.0/24'] OR "
        "[ipv4-addr:value = '198.51.100.23']"
    )
    found = match_indicators([_indicator(pattern)], evidence, policy())[0]
    rows = [r for r in canary_world().requests if r["src_ip"].startswith("198.51.100.")]
    signups = [
        a for a in canary_world().accounts if a.get("signup_ip", "").startswith("198.51.100.")
    ]
    assert found.count == len(rows) + len(signups)
    assert found.first_seen and found.last_seen and found.first_seen < found.last_seen


def test_payment_fingerprint_uses_the_accounts_table(evidence: Evidence) -> None:
    token = policy().token("payment", CANARY_PAYMENT)
    pattern = (
        f"[ircli-fingerprint:kind = 'payment-fingerprint' AND ircli-fingerprint:value = '{token}']"
    )
    found = match_indicators([_indicator(pattern)], evidence, policy())[0]
    assert found.count == len(ATTACKERS) and found.matched == [
        {"kind": "payment-fingerprint", "value": CANARY_PAYMENT}
    ]


def test_unsupported_indicators_never_match(evidence: Evidence) -> None:
    unsupported = IntelIndicator(
        id="indicator--00000000-0000-4000-8000-000000000009",
        modified="",
        pattern="[file:name = 'x']",
        source=None,
        source_name=None,
        unsupported="object path file:name is not matched",
    )
    assert match_indicators([unsupported], evidence, policy()) == []


@functools.cache
def _duckdb() -> Any:
    import duckdb

    return duckdb.connect()


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.text(
        alphabet=st.sampled_from(list("ab AB12 \t\n\r\x0b\x0c09xyz.,:ÉİẞΣ\u00a0\u2003"))
        | st.characters(blacklist_categories=("Cs",)),
        max_size=120,
    )
)
def test_template_fingerprint_is_the_same_in_python_and_duckdb(text: str) -> None:
    sql = template_fingerprint_sql("t")
    (value,) = _duckdb().execute(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()
    assert value == template_fingerprint(text)


def test_templates_ignore_numbers_and_what_follows_the_scaffold() -> None:
    a = "Explain the reasoning behind this finished answer: 12 apples and 3 pears in a basket now"
    b = "explain  the reasoning behind this finished answer: 7 apples and 99 pears in a box later"
    assert template_fingerprint(a) == template_fingerprint(b)
    assert template_fingerprint(a) != template_fingerprint("Write a haiku about autumn leaves")


def test_evidence_files_are_the_finished_pulls_parquet_files(tmp_path: Path) -> None:
    ws = forum_ws(tmp_path, FORUM)
    inc = open_incident(ws, title="x").id
    write_evidence(ws, inc, canary_world())
    # An unfinished pull has no file yet and is not matched against.
    ws.store.append(
        inc,
        "evidence.pull_started",
        {
            "pull_id": "EV-open",
            "source": "logs",
            "source_type": "http",
            "query": {"table": "requests", "accounts": [], "since": None, "until": None},
        },
        "a",
    )
    requests, accounts = intel.evidence_files(ws, inc)
    assert [p.name for p in requests] == [f"{inc}-requests.parquet"]
    assert [p.name for p in accounts] == [f"{inc}-accounts.parquet"]
    assert all(p.is_file() for p in requests + accounts)
    ws.close()


def test_matching_without_pulls_or_evidence_records_nothing(
    tmp_path: Path, secrets_env: None
) -> None:
    ws = forum_ws(tmp_path, FORUM)
    inc = open_incident(ws, title="x").id
    assert intel.match_intel(ws, inc) == []
    assert intel.intel_variables(ws, inc)["intel_sightings"] == 0
    assert [e.type for e in ws.store.events(inc)] == ["incident.opened"]
    ws.close()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({}, "no [forum] table"),
        ({**FORUM, "colection": "x"}, "unknown key 'forum.colection'"),
        ({**FORUM, "url": "ftp://x"}, "forum.url"),
        ({**FORUM, "max_tlp": "PURPLE"}, "forum.max_tlp"),
        ({**FORUM, "auth": "kerberos"}, "forum.auth"),
    ],
)
def test_forum_config_errors_are_readable(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        forum_settings(table)
    assert message in caught.value.message and caught.value.hint


def test_intel_sources_must_be_taxii_sources(tmp_path: Path) -> None:
    from ircli.config import Config
    from ircli.services.workspace import Workspace

    config = Config(
        forum=FORUM,
        sources={"logs": {"type": "file"}, "isac": {**FORUM, "type": "taxii", "auth": "bearer"}},
    )
    ws = Workspace(tmp_path / "s.db", config, "alice")
    assert intel.intel_endpoint(ws, "isac").auth == "bearer"
    with pytest.raises(ConfigError, match="not 'taxii'"):
        intel.intel_endpoint(ws, "logs")
    with pytest.raises(NotFoundError):
        intel.intel_endpoint(ws, "nope")
    ws.close()


def test_bearer_auth_sends_the_token_from_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from ircli.intel.settings import taxii_source

    monkeypatch.setenv("IRCLI_SECRET_ISAC", "tok-123")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization", ""))
        return httpx.Response(200, json={"title": "d", "api_roots": []})

    endpoint = taxii_source("isac", {**FORUM, "type": "taxii", "auth": "bearer", "secret": "isac"})
    with endpoint.client(transport=httpx.MockTransport(handler)) as client:
        client.discovery()
    assert seen == ["Bearer tok-123"]


def test_the_taxii_source_is_registered_as_an_entry_point() -> None:
    from importlib.metadata import entry_points

    (found,) = [e for e in entry_points(group="ircli.sources") if e.name == "taxii"]
    assert found.load().kind == "intel"


_UA = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
_patterns = st.sampled_from(
    [
        "[ipv4-addr:value = '198.51.100.23']",
        "[ipv4-addr:value = '198.51.100.0/25']",
        "[ipv4-addr:value = '198.0.0.0/8']",
        "[ipv4-addr:value = '203.0.113.10']",
        "[ipv4-addr:value = '192.0.2.0/24']",
        "[ipv4-addr:value = '0.0.0.0/0']",
        "[ipv6-addr:value = '2001:db8::5']",
        "[ipv6-addr:value = '2001:db8::/64']",
        "[autonomous-system:number = 64500]",
        "[autonomous-system:number IN (64510, 64600)]",
        f"[{_UA} = 'Mozilla/5.0']",
        f"[{_UA} LIKE 'harvester/%']",
        f"[{_UA} LIKE '%httpx%']",
        "[ircli-fingerprint:kind = 'system-prompt' AND ircli-fingerprint:value = 'sha256:"
        + "5" * 64
        + "']",
        "[ircli-fingerprint:kind = 'payment-fingerprint' AND ircli-fingerprint:value = '"
        + policy().token("payment", CANARY_PAYMENT)
        + "']",
        "[ircli-fingerprint:kind = 'ip' AND ircli-fingerprint:value = '"
        + policy().token("ip", "192.0.2.50")
        + "']",
    ]
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(patterns=st.lists(_patterns, min_size=1, max_size=6))
def test_narrowed_matching_finds_exactly_what_full_grouping_finds(
    evidence: Evidence, patterns: list[str]
) -> None:
    indicators = [_indicator(p, n) for n, p in enumerate(patterns)]
    narrowed_evidence = Evidence(evidence.requests, evidence.accounts)
    full_evidence = Evidence(evidence.requests, evidence.accounts)
    try:
        narrowed = match_indicators(indicators, narrowed_evidence, policy())
        full = match_indicators(indicators, full_evidence, policy(), narrow=False)
    finally:
        narrowed_evidence.close()
        full_evidence.close()
    assert [s.to_dict() for s in narrowed] == [s.to_dict() for s in full]
    assert full or not any("0.0.0.0/0" in p for p in patterns)


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    import json
    from datetime import datetime

    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    path.write_text(
        "".join(
            json.dumps({k: plain(v) for k, v in r.items() if v is not None}) + "\n" for r in rows
        )
    )


def test_matching_reads_evidence_pulled_through_ircli_evidence(
    tmp_path: Path, secrets_env: None
) -> None:
    from ircli.config import Config
    from ircli.errors import UsageError
    from ircli.services.evidence import pull_evidence
    from ircli.services.workspace import Workspace

    world = canary_world()
    _jsonl(tmp_path / "requests.jsonl", world.requests)
    _jsonl(tmp_path / "accounts.jsonl", world.accounts)
    config = Config(
        forum=FORUM,
        sources={
            "logs": {"type": "file", "path": str(tmp_path / "requests.jsonl")},
            "accts": {
                "type": "file",
                "table": "accounts",
                "path": str(tmp_path / "accounts.jsonl"),
            },
            "isac": {**FORUM, "type": "taxii"},
        },
    )
    ws = Workspace(tmp_path / "store.db", config, "alice")
    inc = open_incident(ws, title="x").id
    assert pull_evidence(ws, inc, "logs").records == len(world.requests)
    assert pull_evidence(ws, inc, "accts").records == len(world.accounts)
    requests, accounts = intel.evidence_files(ws, inc)
    assert len(requests) == 1 and len(accounts) == 1
    evidence = Evidence(requests, accounts)
    try:
        assert _accounts("[ipv4-addr:value = '198.51.100.0/24']", evidence) == set(ATTACKERS)
        token = policy().token("payment", CANARY_PAYMENT)
        pattern = (
            "[ircli-fingerprint:kind = 'payment-fingerprint' AND "
            f"ircli-fingerprint:value = '{token}']"
        )
        assert _accounts(pattern, evidence) == set(ATTACKERS)
    finally:
        evidence.close()
    with pytest.raises(UsageError, match="TAXII intel feed") as caught:
        pull_evidence(ws, inc, "isac")
    assert "ircli intel pull INC --source isac" in (caught.value.hint or "")
    ws.close()


def test_a_sighting_payload_does_not_depend_on_group_order(evidence: Evidence) -> None:
    pattern = "[ipv4-addr:value = '198.51.100.0/24'] OR [autonomous-system:number = 64500]"
    first = match_indicators([_indicator(pattern)], evidence, policy())[0].to_dict()
    for observable in ("ip", "asn"):
        evidence.groups(observable).reverse()
    again = match_indicators([_indicator(pattern)], evidence, policy(), narrow=False)[0]
    assert again.to_dict() == first
    assert first["matched"] == sorted(first["matched"], key=lambda m: (m["kind"], m["value"]))
