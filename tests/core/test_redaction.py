"""The redaction policy: identifiers keyed-hashed, raw text dropped, nothing else touched."""

from __future__ import annotations

import json

from ircli.core.redaction import REDACTED, RedactionPolicy


def test_identifiers_hashed_and_prompts_dropped() -> None:
    policy = RedactionPolicy(key=b"forum-key")
    payload = {
        "accounts": ["acct-7", "acct-8"],
        "email": "mallory@attacker.example",
        "prompt_text": "explain the reasoning behind this finished answer",
        "nested": {"src_ip": "100.64.1.2", "count": 3},
        "verdict": "alert",
    }
    out = policy.apply(payload)
    text = json.dumps(out)
    for secret in ("acct-7", "acct-8", "mallory", "explain the reasoning", "100.64.1.2"):
        assert secret not in text
    assert out["prompt_text"] == REDACTED
    assert out["verdict"] == "alert" and out["nested"]["count"] == 3
    assert out["accounts"][0].startswith("hmac-sha256:")


def test_tokens_match_across_labs_with_the_same_key_only() -> None:
    a = RedactionPolicy(key=b"shared").token("account", "acct-1")
    b = RedactionPolicy(key=b"shared").token("account", "acct-1")
    c = RedactionPolicy(key=b"other").token("account", "acct-1")
    d = RedactionPolicy(key=b"shared").token("email", "acct-1")
    assert a == b and a != c and a != d


def test_describe_never_shows_the_key() -> None:
    assert "sekrit" not in json.dumps(RedactionPolicy(key=b"sekrit").describe())


def test_ledger_style_single_account_keys_are_hashed() -> None:
    policy = RedactionPolicy(key=b"k")
    out = policy.apply({"account": "acct-9", "target": "acct-10", "owner_email": "a@b.example"})
    assert all(str(v).startswith("hmac-sha256:") for v in out.values())
    assert "acct-9" not in json.dumps(out) and "a@b.example" not in json.dumps(out)
