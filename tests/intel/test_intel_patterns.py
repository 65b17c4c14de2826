"""Indicator patterns: the supported ones become terms, everything else is kept as unsupported."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ircli.intel.patterns import PatternUnsupported, Term, parse_pattern

UA = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"


@pytest.mark.parametrize(
    ("pattern", "terms"),
    [
        ("[ipv4-addr:value = '203.0.113.7']", [Term("ip", "eq", "203.0.113.7")]),
        ("[ipv4-addr:value = '203.0.113.0/24']", [Term("ip", "cidr", "203.0.113.0/24")]),
        ("[ipv4-addr:value ISSUBSET '203.0.113.9/24']", [Term("ip", "cidr", "203.0.113.0/24")]),
        ("[ipv6-addr:value = '2001:DB8::1']", [Term("ip", "eq", "2001:db8::1")]),
        ("[ipv6-addr:value = '2001:db8::/32']", [Term("ip", "cidr", "2001:db8::/32")]),
        ("[network-traffic:src_ref.value = '10.0.0.1']", [Term("ip", "eq", "10.0.0.1")]),
        (
            "[ipv4-addr:value IN ('10.0.0.1', '10.0.1.0/24')]",
            [Term("ip", "eq", "10.0.0.1"), Term("ip", "cidr", "10.0.1.0/24")],
        ),
        ("[autonomous-system:number = 64512]", [Term("asn", "eq", "64512")]),
        (
            "[autonomous-system:number = 1] OR [autonomous-system:number = 2]",
            [Term("asn", "eq", "1"), Term("asn", "eq", "2")],
        ),
        (f"[{UA} = 'curl/8.0 it\\'s']", [Term("user_agent", "eq", "curl/8.0 it's")]),
        (f"[{UA} LIKE 'python-%']", [Term("user_agent", "like", "python-%")]),
        (
            "[ircli-fingerprint:kind = 'payment-fingerprint' AND "
            "ircli-fingerprint:value = 'HMAC-SHA256:AB']",
            [Term("payment-fingerprint", "eq", "hmac-sha256:ab")],
        ),
        (
            "[ircli-fingerprint:value IN ('sha256:aa', 'sha256:bb') AND "
            "ircli-fingerprint:kind = 'system-prompt']",
            [Term("system-prompt", "eq", "sha256:aa"), Term("system-prompt", "eq", "sha256:bb")],
        ),
        (
            "([ipv4-addr:value = '10.0.0.1'] OR [ipv4-addr:value = '10.0.0.2'])",
            [Term("ip", "eq", "10.0.0.1"), Term("ip", "eq", "10.0.0.2")],
        ),
    ],
)
def test_supported_patterns_become_terms(pattern: str, terms: list[Term]) -> None:
    assert parse_pattern(pattern) == terms


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[file:hashes.'SHA-256' = 'aa']", "file:hashes"),
        ("[ipv4-addr:value = '10.0.0.1'] AND [ipv4-addr:value = '10.0.0.2']", "AND"),
        ("[ipv4-addr:value = '1.1.1.1'] FOLLOWEDBY [ipv4-addr:value = '2.2.2.2']", "FOLLOWEDBY"),
        ("[ipv4-addr:value = '1.1.1.1'] WITHIN 5 SECONDS", "WITHIN"),
        ("[ipv4-addr:value != '1.1.1.1']", "!="),
        ("[ipv4-addr:value NOT = '1.1.1.1']", "negated"),
        ("[ipv4-addr:value MATCHES '^10']", "MATCHES"),
        ("[ipv4-addr:value = 'not-an-ip']", "not an IP"),
        ("[autonomous-system:number = 'x']", "integers"),
        ("[ipv4-addr:value = '1.1.1.1' AND autonomous-system:number = 5]", "AND of different"),
        ("[ircli-fingerprint:kind = 'shoe-size' AND ircli-fingerprint:value = 'x']", "unknown"),
        ("[ircli-fingerprint:value = 'x']", "exactly one"),
        ("[ipv4-addr:value = '1.1.1.1'", "ends too early"),
        ("ipv4-addr:value = '1.1.1.1'", "expected '['"),
        ("[ipv4-addr:value = t'2020-01-01T00:00:00Z']", "timestamp"),
        ("[ipv4-addr:value = '1.1.1.1'] garbage", "unexpected"),
        ("[ipv4-addr:value = 1.5]", "constant"),
        ("[" * 5000, "nests"),
        ("x" * 30_000, "longer"),
    ],
)
def test_unsupported_patterns_say_why(pattern: str, reason: str) -> None:
    with pytest.raises(PatternUnsupported) as caught:
        parse_pattern(pattern)
    assert reason in str(caught.value)


def test_deeply_nested_patterns_are_unsupported_through_read_objects() -> None:
    from ircli.intel.indicators import read_objects

    obj = {
        "type": "indicator",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "pattern": "(" * 5000 + "[ipv4-addr:value = '1.1.1.1']" + ")" * 5000,
        "pattern_type": "stix",
    }
    batch = read_objects([obj])
    assert batch.indicators[0].unsupported


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.text(
        alphabet=st.sampled_from(list("[]()'=,: aAnNdDoOrR0123456789.-/\\%_ipv4-addrvalue"))
        | st.characters(),
        max_size=80,
    )
)
def test_any_text_parses_or_is_unsupported(text: str) -> None:
    try:
        terms = parse_pattern(text)
    except PatternUnsupported:
        return
    assert terms and all(isinstance(t, Term) for t in terms)
